package store

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/usage"
)

var base = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// genLogs makes n records spread over keys, aliases and statuses; several rows share a
// millisecond so the id tie-break is exercised.
func genLogs(n int) []usage.Record {
	statuses := []int{200, 200, 200, 429, 500}
	recs := make([]usage.Record, n)
	for i := range recs {
		recs[i] = usage.Record{
			ID:               fmt.Sprintf("req_%06d", i),
			Time:             base.Add(time.Duration(i/3) * time.Second),
			KeyID:            fmt.Sprintf("key_%d", i%4),
			Endpoint:         "/v1/chat/completions",
			Alias:            fmt.Sprintf("model-%d", i%3),
			ProviderID:       fmt.Sprintf("prov_%d", i%2),
			ProviderModel:    "gpt-4o",
			Status:           statuses[i%len(statuses)],
			LatencyMS:        float64(i%100) + 0.5,
			TTFBMS:           1.25,
			OverheadMS:       0.3,
			PromptTokens:     10,
			CompletionTokens: 20,
			CachedTokens:     i % 2,
			Cost:             0.001,
			Stream:           i%2 == 0,
			Estimated:        i%7 == 0,
			Attempts:         1 + i%2,
			ClientIP:         "127.0.0.1",
		}
		if i%2 == 1 {
			recs[i].AttemptLog = []usage.Attempt{{DeploymentID: "dep_a", Alias: recs[i].Alias,
				ProviderID: "prov_9", ProviderModel: "gpt-4o", Status: 502, ErrorCode: "upstream_error",
				Error: "scripted failure 500", DurationMS: 12.5}}
		}
	}
	return recs
}

// newestFirst sorts like ListLogs: time DESC, id DESC.
func newestFirst(recs []usage.Record) []usage.Record {
	out := slices.Clone(recs)
	slices.SortFunc(out, func(a, b usage.Record) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out
}

func TestInsertLogsLargeBatch(t *testing.T) { eachEngine(t, testInsertLogsLargeBatch) }

func testInsertLogsLargeBatch(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	recs := genLogs(5000)
	start := time.Now()
	if err := db.InsertLogs(ctx, recs); err != nil {
		t.Fatal(err)
	}
	t.Logf("inserted %d rows in %v", len(recs), time.Since(start))
	counts, err := db.Counts(ctx)
	if err != nil || counts["request_logs"] != 5000 {
		t.Fatalf("Counts = %v, %v; want 5000 request_logs", counts, err)
	}
	// A retried batch is harmless.
	if err := db.InsertLogs(ctx, recs[:10]); err != nil {
		t.Fatalf("re-insert: %v", err)
	}
	for _, i := range []int{42, 43} { // without and with an attempt log
		got, err := db.GetLog(ctx, recs[i].ID)
		if err != nil || !reflect.DeepEqual(got, recs[i]) {
			t.Errorf("GetLog = %+v, %v; want %+v", got, err, recs[i])
		}
	}
	// Empty id and zero time are filled in without touching the caller's slice.
	blank := []usage.Record{{Status: 200}}
	if err := db.InsertLogs(ctx, blank); err != nil {
		t.Fatal(err)
	}
	if blank[0].ID != "" {
		t.Error("InsertLogs modified the caller's record")
	}
	latest, err := db.ListLogs(ctx, usage.LogFilter{Limit: 1})
	if err != nil || len(latest) != 1 || !strings.HasPrefix(latest[0].ID, "req_") ||
		time.Since(latest[0].Time) > time.Minute {
		t.Errorf("blank record stored as %+v, %v", latest, err)
	}
}

func TestListLogsPaginationAndFilters(t *testing.T) { eachEngine(t, testListLogsPaginationAndFilters) }

func testListLogsPaginationAndFilters(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	recs := genLogs(300)
	if err := db.InsertLogs(ctx, recs); err != nil {
		t.Fatal(err)
	}
	want := newestFirst(recs)

	// Walk every page with the cursor.
	var all []usage.Record
	before := ""
	for {
		page, err := db.ListLogs(ctx, usage.LogFilter{Limit: 37, Before: before})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < 37 {
			break
		}
		before = page[len(page)-1].ID
	}
	if !reflect.DeepEqual(all, want) {
		t.Fatalf("paged %d rows not in newest-first order (want %d)", len(all), len(want))
	}

	tests := []struct {
		name string
		f    usage.LogFilter
		keep func(usage.Record) bool
	}{
		{"default limit", usage.LogFilter{}, func(usage.Record) bool { return true }},
		{"key", usage.LogFilter{KeyID: "key_1", Limit: 1000}, func(r usage.Record) bool { return r.KeyID == "key_1" }},
		{"alias", usage.LogFilter{Alias: "model-2", Limit: 1000}, func(r usage.Record) bool { return r.Alias == "model-2" }},
		{"status", usage.LogFilter{Status: 429, Limit: 1000}, func(r usage.Record) bool { return r.Status == 429 }},
		{"model substring of alias", usage.LogFilter{ModelContains: "DEL-1", Limit: 1000},
			func(r usage.Record) bool { return r.Alias == "model-1" }},
		{"model substring of provider model", usage.LogFilter{ModelContains: "4o", Limit: 1000},
			func(usage.Record) bool { return true }},
		{"provider", usage.LogFilter{ProviderID: "prov_1", Limit: 1000}, func(r usage.Record) bool { return r.ProviderID == "prov_1" }},
		{"errors only", usage.LogFilter{ErrorsOnly: true, Limit: 1000}, func(r usage.Record) bool { return r.Status >= 400 }},
		{"errors only + status", usage.LogFilter{ErrorsOnly: true, Status: 500, Limit: 1000}, func(r usage.Record) bool { return r.Status == 500 }},
		{"request id", usage.LogFilter{ID: "req_000123"}, func(r usage.Record) bool { return r.ID == "req_000123" }},
		{"from/to", usage.LogFilter{From: base.Add(10 * time.Second), To: base.Add(20 * time.Second), Limit: 1000},
			func(r usage.Record) bool {
				return !r.Time.Before(base.Add(10*time.Second)) && r.Time.Before(base.Add(20*time.Second))
			}},
		{"combined + cursor", usage.LogFilter{KeyID: "key_2", Status: 200, Before: want[50].ID, Limit: 5},
			func(r usage.Record) bool {
				return r.KeyID == "key_2" && r.Status == 200 &&
					(r.Time.Before(want[50].Time) || r.Time.Equal(want[50].Time) && r.ID < want[50].ID)
			}},
		{"limit capped", usage.LogFilter{Limit: 5000}, func(usage.Record) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var exp []usage.Record
			for _, r := range want {
				if tt.keep(r) {
					exp = append(exp, r)
				}
			}
			exp = exp[:min(len(exp), clampLimit(tt.f.Limit))]
			got, err := db.ListLogs(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if len(exp) == 0 || !reflect.DeepEqual(got, exp) {
				t.Errorf("got %d rows, want %d (first got %+v)", len(got), len(exp), got[:min(1, len(got))])
			}
		})
	}

	// Filters that match nothing: LIKE wildcards in the substring are literal.
	for _, f := range []usage.LogFilter{{ModelContains: "model_"}, {ModelContains: "%"}, {ErrorsOnly: true, Status: 200}, {ID: "req_missing"}} {
		if got, err := db.ListLogs(ctx, f); err != nil || len(got) != 0 {
			t.Errorf("ListLogs(%+v) = %d rows, %v; want none", f, len(got), err)
		}
	}

	if _, err := db.ListLogs(ctx, usage.LogFilter{Before: "req_missing"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown cursor: err = %v, want ErrNotFound", err)
	}
}

// TestListLogsQueryPlans guards the indexes: every filter must read rows in order from an
// index, never sort the table (that is what keeps the page fast on a million rows).
func TestListLogsQueryPlans(t *testing.T) {
	db, ctx := openTest(t), t.Context()
	q := `SELECT id FROM request_logs`
	tests := []struct {
		where string
		args  []any
	}{
		{"", nil},
		{" WHERE (time, id) < (?, ?)", []any{1, "x"}},
		{" WHERE key_id = ? AND (time, id) < (?, ?)", []any{"k", 1, "x"}},
		{" WHERE alias = ? AND time >= ? AND time < ?", []any{"a", 1, 2}},
		{" WHERE provider_id = ?", []any{"p"}},
		{" WHERE status = ?", []any{500}},
		{" WHERE status >= 400", nil},
		{" WHERE id = ?", []any{"req_1"}},
	}
	for _, tt := range tests {
		rows, err := db.r.QueryContext(ctx, `EXPLAIN QUERY PLAN `+q+tt.where+
			` ORDER BY time DESC, id DESC LIMIT 50`, tt.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		_ = rows.Close()
		p := strings.Join(plan, "; ")
		if strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, "USING") {
			t.Errorf("%q: plan %q sorts or scans", tt.where, p)
		}
	}
}

func TestBodies(t *testing.T) { eachEngine(t, testBodies) }

func testBodies(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	in := []Body{{ID: "req_1", Request: `{"a":1}`, Response: `{"b":2}`}, {ID: "req_2", Request: "x"}}
	if err := db.InsertBodies(ctx, in); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetBody(ctx, "req_1")
	if err != nil || got != in[0] {
		t.Errorf("GetBody = %+v, %v; want %+v", got, err, in[0])
	}
	in[1].Response = "y"
	if err := db.InsertBodies(ctx, in[1:]); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.GetBody(ctx, "req_2"); got != in[1] {
		t.Errorf("replaced body = %+v, want %+v", got, in[1])
	}
}

func TestPruneLogs(t *testing.T) { eachEngine(t, testPruneLogs) }

func testPruneLogs(t *testing.T, openTest opener) {
	db, ctx := openTest(t), t.Context()
	recs := genLogs(12010)  // more than two prune chunks
	cut := recs[12000].Time // rows 0..11999 are older (i/3 seconds), 12000.. are not
	if err := db.InsertLogs(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := db.InsertBodies(ctx, []Body{{ID: recs[5].ID}, {ID: recs[12005].ID}}); err != nil {
		t.Fatal(err)
	}
	n, err := db.PruneLogs(ctx, cut)
	if err != nil || n != 12000 {
		t.Fatalf("PruneLogs = %d, %v; want 12000", n, err)
	}
	left, _ := db.ListLogs(ctx, usage.LogFilter{Limit: 1000})
	if len(left) != 10 {
		t.Errorf("%d rows left, want 10", len(left))
	}
	if _, err := db.GetBody(ctx, recs[5].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("old body: err = %v, want ErrNotFound", err)
	}
	if _, err := db.GetBody(ctx, recs[12005].ID); err != nil {
		t.Errorf("recent body pruned: %v", err)
	}
	if n, err := db.PruneLogs(ctx, cut); err != nil || n != 0 {
		t.Errorf("second PruneLogs = %d, %v; want 0", n, err)
	}
}
