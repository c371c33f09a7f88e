package limits

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/llm"
)

// Shared keeps every key's counters in Redis, so that all the instances on one Redis enforce
// one set of limits: RPM, RPD, TPM, the budget and the cost reserved for requests in flight
// are checked and counted by one Lua script per call, atomically on the server. A key's
// counters are one hash, updated by the same rules as the Tracker's (limits.go).
//
// When Redis does not answer, FailClosed refuses requests (503); otherwise they are admitted
// against a local Tracker (limits of this instance alone), a warning is logged, and Health
// reports the failure until Redis answers again. A request admitted during an outage may be
// finished on Redis and the other way round; the in-flight count is clamped at zero, and
// in-flight counts not touched for staleInflight (an instance killed mid-request) are dropped.
type Shared struct {
	rdb        redis.UniversalClient
	prefix     string
	local      *Tracker
	failClosed bool
	timeout    time.Duration
	now        func() time.Time
	log        *slog.Logger

	downUntil atomic.Int64 // unix ns: skip Redis until then after a failure
	lastErr   atomic.Pointer[error]
}

// SharedOptions configure NewShared.
type SharedOptions struct {
	Client redis.UniversalClient
	// Prefix of the Redis keys (default "conduit:"); one per cluster on a shared Redis.
	Prefix string
	// FailClosed refuses requests with 503 while Redis is unreachable (default: fail open,
	// local limits).
	FailClosed bool
	// Timeout bounds one call to Redis (default 500ms).
	Timeout time.Duration
	Now     func() time.Time // default time.Now
	Logger  *slog.Logger     // default slog.Default()
}

// staleInflight: a key's in-flight count untouched for this long is dropped.
const staleInflight = 10 * time.Minute

// retryRedis is how long a failed Redis is left alone before the next call tries it again.
const retryRedis = time.Second

//go:embed admit.lua
var admitLua string

//go:embed finish.lua
var finishLua string

var (
	admitScript  = redis.NewScript(admitLua)
	finishScript = redis.NewScript(finishLua)
)

// NewShared returns limits kept in Redis.
func NewShared(o SharedOptions) *Shared {
	s := &Shared{rdb: o.Client, prefix: o.Prefix, failClosed: o.FailClosed, timeout: o.Timeout,
		now: o.Now, log: o.Logger}
	if s.prefix == "" {
		s.prefix = "conduit:"
	}
	if s.timeout <= 0 {
		s.timeout = 500 * time.Millisecond
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.local = NewTracker(s.now)
	return s
}

func (s *Shared) key(id string) string { return s.prefix + "limits:" + id }

// call runs f against Redis, within ctx and the call timeout, unless Redis failed less than
// retryRedis ago; the error says why Redis was not used. A call given up because ctx ended
// (the client went away) says nothing of Redis.
func (s *Shared) call(ctx context.Context, f func(ctx context.Context) error) error {
	if time.Now().UnixNano() < s.downUntil.Load() {
		if p := s.lastErr.Load(); p != nil {
			return *p
		}
		return errors.New("redis unavailable")
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err := f(cctx)
	if err == nil || errors.Is(err, redis.Nil) {
		if s.lastErr.Swap(nil) != nil {
			s.log.Info("limits: Redis answers again; limits are shared across instances")
		}
		return nil
	}
	err = fmt.Errorf("redis: %w", err)
	if ctx.Err() != nil {
		return err
	}
	s.downUntil.Store(time.Now().Add(retryRedis).UnixNano())
	if s.lastErr.Swap(&err) == nil {
		mode := "failing open: limits of this instance alone until it answers"
		if s.failClosed {
			mode = "failing closed: requests are refused until it answers"
		}
		s.log.Warn("limits: Redis unreachable, "+mode, "err", err)
	}
	return err
}

// Health returns why Redis is not in use (nil when it answered the last call).
func (s *Shared) Health() error {
	if p := s.lastErr.Load(); p != nil {
		return *p
	}
	return nil
}

// FailClosed reports whether requests are refused while Redis is unreachable.
func (s *Shared) FailClosed() bool { return s.failClosed }

// Ping checks that Redis answers (and updates Health).
func (s *Shared) Ping(ctx context.Context) error {
	s.downUntil.Store(0)
	return s.call(ctx, func(c context.Context) error { return s.rdb.Ping(c).Err() })
}

func unavailable() *llm.Error {
	e := llm.Errorf(http.StatusServiceUnavailable, "server_error", "limits_unavailable",
		"Rate limits cannot be checked right now (shared limit store unreachable); try again shortly")
	e.RetryAfter = retryRedis
	return e
}

func optInt(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

// Admit is Tracker.Admit on the shared counters. It waits for Redis within ctx (and the call
// timeout); a request whose ctx ended meanwhile is refused as gone.
func (s *Shared) Admit(ctx context.Context, k config.Key, promptTokens int, estCost float64) (Decision, error) {
	now := s.now()
	maxBudget := -1.0
	if k.MaxBudget != nil {
		maxBudget = *k.MaxBudget
	}
	var res []any
	err := s.call(ctx, func(ctx context.Context) error {
		v, err := admitScript.Run(ctx, s.rdb, []string{s.key(k.ID)},
			now.UnixMilli(), k.BudgetDuration, PeriodStart(k.BudgetDuration, now).UnixMilli(),
			ftoa(maxBudget), ftoa(estCost), optInt(k.RPM), optInt(k.RPD), optInt(k.TPM),
			promptTokens, PeriodStart(config.BudgetDaily, now).UnixMilli(),
			now.UTC().Truncate(time.Minute).UnixMilli(), staleInflight.Milliseconds()).Slice()
		res = v
		return err
	})
	switch {
	case err != nil && ctx.Err() != nil:
		return Decision{}, llm.ClientClosed(err)
	case err != nil && s.failClosed:
		return Decision{}, unavailable()
	case err != nil:
		return s.local.Admit(ctx, k, promptTokens, estCost)
	}
	code, st, err := parseAdmit(res)
	if err != nil {
		s.log.Error("limits: unexpected answer from the admit script", "err", err)
		return s.local.Admit(ctx, k, promptTokens, estCost)
	}
	return st.verdict(k, now, code, promptTokens)
}

// admitState is what the admit script returns besides its verdict: the key's counters after
// the call, the fields of a keyState that decisions and errors are computed from.
type admitState struct {
	spend    float64
	inflight int
	keyState
}

func parseAdmit(res []any) (int, admitState, error) {
	var st admitState
	if len(res) != 10 {
		return 0, st, fmt.Errorf("%d values", len(res))
	}
	var (
		vals [10]float64
		err  error
	)
	for i, v := range res {
		switch v := v.(type) {
		case int64:
			vals[i] = float64(v)
		case string:
			if vals[i], err = strconv.ParseFloat(v, 64); err != nil {
				return 0, st, err
			}
		default:
			return 0, st, fmt.Errorf("value %d: %T", i, v)
		}
	}
	st.spend, st.inflight = vals[2], int(vals[3])
	st.tat = msTime(vals[4])
	st.rpdDay, st.rpdCount = msTime(vals[5]), int(vals[6])
	st.tpmMinute, st.tpmCur, st.tpmPrev = msTime(vals[7]), int(vals[8]), int(vals[9])
	return int(vals[0]), st, nil
}

func msTime(ms float64) time.Time {
	return time.UnixMicro(int64(ms * 1000)).UTC()
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// Verdicts of the admit script.
const (
	admitted = iota
	budgetSpent
	budgetCommitted
	rpmExceeded
	rpdExceeded
	tpmExceeded
)

// verdict turns the script's verdict into the Tracker's decision and error.
func (st *admitState) verdict(k config.Key, now time.Time, code, promptTokens int) (Decision, error) {
	d := st.decision(k, now)
	switch code {
	case admitted:
		return d, nil
	case budgetSpent:
		return d, budgetSpentError(k, now)
	case budgetCommitted:
		return d, budgetCommittedError(*k.MaxBudget-st.spend, st.inflight)
	case rpmExceeded:
		wait := time.Minute
		if *k.RPM > 0 {
			wait = st.tat.Add(rpmInterval(*k.RPM)).Add(-time.Minute).Sub(now)
		}
		return d, rateLimited("requests per minute", *k.RPM, wait)
	case rpdExceeded:
		return d, rateLimited("requests per day", *k.RPD, st.rpdDay.AddDate(0, 0, 1).Sub(now))
	case tpmExceeded:
		return d, rateLimited("tokens per minute", *k.TPM, st.tpmWait(now, *k.TPM, promptTokens))
	}
	return d, fmt.Errorf("limits: unknown verdict %d", code)
}

// Finish is Tracker.Finish on the shared counters, returning the key's spend across the
// instances. It waits for Redis within ctx (and the call timeout); callers settling a finished
// request pass a ctx that is not cancelled with it.
func (s *Shared) Finish(ctx context.Context, k config.Key, estimate, tokens int, cost float64) float64 {
	now := s.now()
	var reply string
	err := s.call(ctx, func(ctx context.Context) (err error) {
		reply, err = finishScript.Run(ctx, s.rdb, []string{s.key(k.ID)},
			now.UnixMilli(), k.BudgetDuration, PeriodStart(k.BudgetDuration, now).UnixMilli(),
			ftoa(cost), tokens-estimate, optInt(k.TPM),
			now.UTC().Truncate(time.Minute).UnixMilli()).Text()
		return err
	})
	if err != nil {
		return s.local.Finish(ctx, k, estimate, tokens, cost)
	}
	if cost > 0 { // the local fallback knows this instance's spend at least
		s.local.Finish(ctx, k, 0, 0, cost)
	}
	// The request is settled in Redis either way: a reply that is not a number (never the
	// script's) leaves the alerts this instance's own count, not a Redis failure.
	spend, err := strconv.ParseFloat(reply, 64)
	if err != nil {
		spend, _ = s.local.Spend(k)
	}
	return spend
}

// Seed sets a key's spend in its current period unless the shared counters already hold that
// period (another instance seeded it, and has counted since).
func (s *Shared) Seed(k config.Key, spend float64) {
	s.local.Seed(k, spend)
	now := s.now()
	pstart := strconv.FormatInt(PeriodStart(k.BudgetDuration, now).UnixMilli(), 10)
	_ = s.call(context.Background(), func(ctx context.Context) error {
		cur, err := s.rdb.HMGet(ctx, s.key(k.ID), "dur", "pstart").Result()
		if err != nil {
			return err
		}
		if cur[0] == k.BudgetDuration && cur[1] == pstart {
			return nil
		}
		return s.rdb.HSet(ctx, s.key(k.ID), "dur", k.BudgetDuration, "pstart", pstart,
			"spend", ftoa(spend)).Err()
	})
}

// Spend returns a key's spend in its current period and when the period resets.
func (s *Shared) Spend(k config.Key) (float64, *time.Time) {
	now := s.now()
	pstart := strconv.FormatInt(PeriodStart(k.BudgetDuration, now).UnixMilli(), 10)
	var spend float64
	err := s.call(context.Background(), func(ctx context.Context) error {
		cur, err := s.rdb.HMGet(ctx, s.key(k.ID), "dur", "pstart", "spend").Result()
		if err != nil {
			return err
		}
		sp, _ := cur[2].(string)
		v, _ := strconv.ParseFloat(sp, 64)
		switch {
		case cur[0] == k.BudgetDuration && cur[1] == pstart:
			spend = v
		case cur[0] == k.BudgetDuration: // a new period
			spend = 0
		default: // a changed schedule keeps what was counted (as the Tracker does)
			spend = v
		}
		return nil
	})
	if err != nil {
		return s.local.Spend(k)
	}
	return spend, NextReset(k.BudgetDuration, now)
}

// Forget drops a deleted key's counters.
func (s *Shared) Forget(id string) {
	s.local.Forget(id)
	_ = s.call(context.Background(), func(ctx context.Context) error { return s.rdb.Del(ctx, s.key(id)).Err() })
}
