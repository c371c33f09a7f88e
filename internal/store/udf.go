package store

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"modernc.org/sqlite"
)

// driverName is a private registration of the modernc.org/sqlite driver that carries the SQL
// functions below, so they reach the store's connections only (not every "sqlite" connection
// in the process). Migration 00003 uses conduit_stats: the schema is migrated by Open, not by
// the goose command line.
//
//	conduit_stats(prompt_tokens, completion_tokens, status, cost, latency_ms)
//	    aggregate over request_logs rows: their usage_hourly stats value (stats.go)
//	conduit_stats_merge(a, b)
//	    scalar: the stats value holding the totals of a and b
//	conduit_usage(key, stats)
//	    aggregate over usage_hourly rows: a summary per key (stats.go)
//	conduit_usage_logs(key, prompt_tokens, completion_tokens, status, cost, latency_ms)
//	    aggregate over request_logs rows: the same
//	conduit_spend(since, key_id, hour, spend)
//	    aggregate over usage_hourly rows: the sum of spend per key_id over the rows with
//	    hour >= since[key_id], since being a JSON object {key_id: hour}; rows of keys not in
//	    since are skipped (encodeSums)
//
// Aggregating inside SQLite is what makes a summary cheap: a value handed to a function costs
// a fraction of a column read through database/sql. Keys are TEXT or INTEGER (day numbers).
const driverName = "conduit-sqlite"

func init() {
	d := &sqlite.Driver{}
	aggregate := func(name string, n int32, mk func() sqlite.AggregateFunction) {
		d.MustRegisterFunction(name, &sqlite.FunctionImpl{
			NArgs: n, Deterministic: true, VolatileArgs: true,
			MakeAggregate: func(sqlite.FunctionContext) (sqlite.AggregateFunction, error) {
				return mk(), nil
			},
		})
	}
	aggregate("conduit_stats", 5, func() sqlite.AggregateFunction { return &statsAgg{} })
	aggregate("conduit_usage", 2, func() sqlite.AggregateFunction { return newUsageAgg(false) })
	aggregate("conduit_usage_logs", 6, func() sqlite.AggregateFunction { return newUsageAgg(true) })
	aggregate("conduit_spend", 4, func() sqlite.AggregateFunction { return &spendAgg{} })
	d.MustRegisterFunction("conduit_stats_merge", &sqlite.FunctionImpl{
		NArgs: 2, Deterministic: true, VolatileArgs: true, Scalar: statsMergeFunc,
	})
	sql.Register(driverName, d)
}

var errWindow = errors.New("not usable as a window function")

// asNumber reads an SQLite INTEGER or REAL argument (NULL is 0) as N.
func asNumber[N int64 | float64](v driver.Value) (N, error) {
	switch v := v.(type) {
	case int64:
		return N(v), nil
	case float64:
		return N(v), nil
	case nil:
		return 0, nil
	}
	return 0, fmt.Errorf("want a number, got %T", v)
}

func asBlob(v driver.Value) ([]byte, error) {
	switch v := v.(type) {
	case []byte:
		return v, nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("want a BLOB, got %T", v)
}

// logArgs decodes the (prompt_tokens, completion_tokens, status, cost, latency_ms) arguments.
func logArgs(args []driver.Value) (prompt, compl, status int64, cost, lat float64, err error) {
	if prompt, err = asNumber[int64](args[0]); err != nil {
		return
	}
	if compl, err = asNumber[int64](args[1]); err != nil {
		return
	}
	if status, err = asNumber[int64](args[2]); err != nil {
		return
	}
	if cost, err = asNumber[float64](args[3]); err != nil {
		return
	}
	lat, err = asNumber[float64](args[4])
	return
}

// statsAgg is conduit_stats.
type statsAgg struct{ g summaryAgg }

func (a *statsAgg) Step(_ *sqlite.FunctionContext, args []driver.Value) error {
	prompt, compl, status, cost, lat, err := logArgs(args)
	if err != nil {
		return fmt.Errorf("conduit_stats: %w", err)
	}
	a.g.addLog(prompt, compl, status, cost, lat)
	return nil
}

func (a *statsAgg) WindowInverse(*sqlite.FunctionContext, []driver.Value) error { return errWindow }

func (a *statsAgg) WindowValue(*sqlite.FunctionContext) (driver.Value, error) {
	return a.g.appendStats(nil), nil
}

func (a *statsAgg) Final(*sqlite.FunctionContext) {}

// statsMergeFunc is conduit_stats_merge.
func statsMergeFunc(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	a, err := asBlob(args[0])
	if err != nil {
		return nil, fmt.Errorf("conduit_stats_merge: %w", err)
	}
	b, err := asBlob(args[1])
	if err != nil {
		return nil, fmt.Errorf("conduit_stats_merge: %w", err)
	}
	m, err := mergeStats(a, b)
	if err != nil {
		return nil, fmt.Errorf("conduit_stats_merge: %w", err)
	}
	return m, nil
}

// usageAgg is conduit_usage (logs false) and conduit_usage_logs (logs true). Integer keys
// (day numbers) are kept apart so that they are formatted once per group, not per row.
type usageAgg struct {
	logs bool
	text summaryAcc
	ints map[int64]*summaryAgg
}

func newUsageAgg(logs bool) *usageAgg {
	return &usageAgg{logs: logs, text: summaryAcc{}, ints: map[int64]*summaryAgg{}}
}

func (a *usageAgg) group(key driver.Value) (*summaryAgg, error) {
	switch k := key.(type) {
	case string: // volatile: cloned when kept
		g := a.text[k]
		if g == nil {
			g = &summaryAgg{}
			g.g.Key = strings.Clone(k)
			a.text[g.g.Key] = g
		}
		return g, nil
	case int64:
		g := a.ints[k]
		if g == nil {
			g = &summaryAgg{}
			g.g.Key = strconv.FormatInt(k, 10)
			a.ints[k] = g
		}
		return g, nil
	case nil:
		return a.text.group(nil), nil
	}
	return nil, fmt.Errorf("key: unexpected %T", key)
}

func (a *usageAgg) Step(_ *sqlite.FunctionContext, args []driver.Value) error {
	g, err := a.group(args[0])
	if err != nil {
		return fmt.Errorf("conduit_usage: %w", err)
	}
	if a.logs {
		prompt, compl, status, cost, lat, err := logArgs(args[1:])
		if err != nil {
			return fmt.Errorf("conduit_usage_logs: %w", err)
		}
		g.addLog(prompt, compl, status, cost, lat)
		return nil
	}
	stats, err := asBlob(args[1])
	if err == nil {
		err = g.addStats(stats)
	}
	if err != nil {
		return fmt.Errorf("conduit_usage: %w", err)
	}
	return nil
}

func (a *usageAgg) WindowInverse(*sqlite.FunctionContext, []driver.Value) error { return errWindow }

func (a *usageAgg) WindowValue(*sqlite.FunctionContext) (driver.Value, error) {
	var buf []byte
	for _, g := range a.text {
		buf = appendSummary(buf, g)
	}
	for _, g := range a.ints {
		buf = appendSummary(buf, g)
	}
	return buf, nil
}

func (a *usageAgg) Final(*sqlite.FunctionContext) {}

// spendAgg is conduit_spend. Values are pointers so that adding to a key is a lookup:
// assigning to an existing key would store the volatile argument string as the map's key.
type spendAgg struct {
	since map[string]int64 // parsed from the first row's argument
	sums  map[string]*float64
}

func (a *spendAgg) Step(_ *sqlite.FunctionContext, args []driver.Value) error {
	if a.since == nil {
		list, ok := args[0].(string)
		if !ok {
			return fmt.Errorf("conduit_spend: since: want JSON text, got %T", args[0])
		}
		if err := json.Unmarshal([]byte(list), &a.since); err != nil { // copies
			return fmt.Errorf("conduit_spend: since: %w", err)
		}
		a.sums = make(map[string]*float64, len(a.since))
	}
	key, _ := args[1].(string)
	from, ok := a.since[key]
	if !ok {
		return nil
	}
	hour, err := asNumber[int64](args[2])
	if err != nil {
		return fmt.Errorf("conduit_spend: hour: %w", err)
	}
	if hour < from {
		return nil
	}
	v, err := asNumber[float64](args[3])
	if err != nil {
		return fmt.Errorf("conduit_spend: spend: %w", err)
	}
	if sum, ok := a.sums[key]; ok {
		*sum += v
	} else {
		a.sums[strings.Clone(key)] = &v
	}
	return nil
}

func (a *spendAgg) WindowInverse(*sqlite.FunctionContext, []driver.Value) error { return errWindow }

func (a *spendAgg) WindowValue(*sqlite.FunctionContext) (driver.Value, error) {
	sums := make(map[string]float64, len(a.sums))
	for k, v := range a.sums {
		sums[k] = *v
	}
	return encodeSums(sums), nil
}

func (a *spendAgg) Final(*sqlite.FunctionContext) {}
