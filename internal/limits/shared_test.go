package limits

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/fakeclock"
	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/testsvc"
)

func TestMain(m *testing.M) { os.Exit(testsvc.Main(m)) }

// newShared returns limits on a fresh Redis (one per test) and that server.
func newShared(t *testing.T, now func() time.Time, failClosed bool) (*Shared, *testsvc.Redis) {
	t.Helper()
	srv := testsvc.StartRedis(t)
	return sharedOn(t, srv, now, failClosed), srv
}

// sharedOn returns another instance's limits on srv.
func sharedOn(t *testing.T, srv *testsvc.Redis, now func() time.Time, failClosed bool) *Shared {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	return NewShared(SharedOptions{Client: rdb, Now: now, FailClosed: failClosed})
}

type outcome struct {
	dec        Decision
	status     int
	code       string
	retryAfter time.Duration
	msg        string
}

func outcomeOf(d Decision, err error) outcome {
	o := outcome{dec: d}
	var e *llm.Error
	if errors.As(err, &e) {
		o.status, o.code, o.retryAfter, o.msg = e.Status, e.Code, e.RetryAfter, e.Message
	} else if err != nil {
		o.msg = err.Error()
	}
	return o
}

// close enough: the shared counters keep times in milliseconds with a fraction.
func sameOutcome(a, b outcome) bool {
	near := func(x, y time.Duration) bool { return (x - y).Abs() <= time.Millisecond }
	return a.status == b.status && a.code == b.code && near(a.retryAfter, b.retryAfter) &&
		a.dec.Limited == b.dec.Limited && a.dec.Limit == b.dec.Limit &&
		a.dec.Remaining == b.dec.Remaining && near(a.dec.Reset, b.dec.Reset)
}

// TestSharedMatchesTracker: random sequences of admissions, finishes, seeds and clock steps
// give the same decisions and errors from the Redis counters as from the in-memory Tracker.
func TestSharedMatchesTracker(t *testing.T) {
	clk := fakeclock.New(utc(2025, 3, 14, 23, 58, 30))
	sh, _ := newShared(t, clk.Now, false)
	tr := NewTracker(clk.Now)
	keys := []config.Key{rpmKey("rpm", 5), key("rpd"), key("tpm"), key("budget"), key("all")}
	keys[1].RPD = new(7)
	keys[2].TPM = new(1000)
	keys[3].MaxBudget, keys[3].BudgetDuration = new(0.05), config.BudgetDaily
	keys[4].RPM, keys[4].RPD, keys[4].TPM = new(20), new(50), new(3000)
	keys[4].MaxBudget, keys[4].BudgetDuration = new(0.2), config.BudgetDaily
	tr.Seed(keys[3], 0.01)
	sh.Seed(keys[3], 0.01)
	rng := rand.New(rand.NewPCG(1, 2))
	type held struct {
		k   config.Key
		est int
	}
	var inflight []held
	for i := range 1500 {
		k := keys[rng.IntN(len(keys))]
		switch op := rng.IntN(10); {
		case op < 5:
			est := rng.IntN(400)
			cost := float64(rng.IntN(5)) / 1000
			a := outcomeOf(tr.Admit(t.Context(), k, est, cost))
			b := outcomeOf(sh.Admit(t.Context(), k, est, cost))
			if !sameOutcome(a, b) {
				t.Fatalf("step %d Admit(%s): tracker %+v, shared %+v", i, k.ID, a, b)
			}
			if a.code == "" {
				inflight = append(inflight, held{k, est})
			}
		case op < 8 && len(inflight) > 0:
			j := rng.IntN(len(inflight))
			h := inflight[j]
			inflight = append(inflight[:j], inflight[j+1:]...)
			tokens, cost := rng.IntN(600), float64(rng.IntN(20))/1000
			a := tr.Finish(t.Context(), h.k, h.est, tokens, cost)
			b := sh.Finish(t.Context(), h.k, h.est, tokens, cost)
			if s, _ := sh.Spend(h.k); math.Abs(a-b) > 1e-9 || math.Abs(b-s) > 1e-9 {
				t.Fatalf("step %d Finish(%s) = tracker %v, shared %v; shared Spend after %v", i, h.k.ID, a, b, s)
			}
		default:
			clk.Advance(time.Duration(rng.IntN(20000)) * time.Millisecond)
		}
		if i%50 == 0 {
			ts, tReset := tr.Spend(k)
			ss, sReset := sh.Spend(k)
			if math.Abs(ts-ss) > 1e-9 || (tReset == nil) != (sReset == nil) {
				t.Fatalf("step %d Spend(%s): tracker %v %v, shared %v %v", i, k.ID, ts, tReset, ss, sReset)
			}
		}
	}
	if err := sh.Health(); err != nil {
		t.Fatalf("Health: %v", err)
	}
}

// TestSharedRPMAcrossInstances: an rpm 10 key hammered through two instances gets exactly 10
// requests admitted in the minute.
func TestSharedRPMAcrossInstances(t *testing.T) {
	clk := fakeclock.New(utc(2025, 3, 14, 12, 0, 0))
	a, srv := newShared(t, clk.Now, false)
	b := sharedOn(t, srv, clk.Now, false)
	k := rpmKey("k", 10)
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range 40 {
		inst := a
		if i%2 == 1 {
			inst = b
		}
		wg.Go(func() {
			_, err := inst.Admit(t.Context(), k, 1, 0)
			if err == nil {
				ok.Add(1)
				return
			}
			var e *llm.Error
			if errors.As(err, &e) && e.Code == llm.CodeRateLimitExceeded {
				refused.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 10 || refused.Load() != 30 {
		t.Fatalf("admitted %d, refused %d; want 10, 30", ok.Load(), refused.Load())
	}
}

// TestSharedBudgetAcrossInstances: requests spending through two instances at once overshoot
// the budget by at most the requests in flight when it was reached.
func TestSharedBudgetAcrossInstances(t *testing.T) {
	clk := fakeclock.New(utc(2025, 3, 14, 12, 0, 0))
	a, srv := newShared(t, clk.Now, false)
	b := sharedOn(t, srv, clk.Now, false)
	k := key("k")
	k.MaxBudget = new(1.0)
	const cost, workers = 0.03, 8
	var maxInflight, inflight atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		inst := a
		if w%2 == 1 {
			inst = b
		}
		wg.Go(func() {
			for range 100 {
				if _, err := inst.Admit(t.Context(), k, 1, cost); err != nil {
					continue
				}
				n := inflight.Add(1)
				for m := maxInflight.Load(); n > m && !maxInflight.CompareAndSwap(m, n); m = maxInflight.Load() {
				}
				inflight.Add(-1)
				inst.Finish(t.Context(), k, 1, 1, cost)
			}
		})
	}
	wg.Wait()
	spend, _ := a.Spend(k)
	if spend < 1 || spend > 1+float64(maxInflight.Load())*cost+1e-9 {
		t.Fatalf("spend %.4f with at most %d in flight; want in [1, %.4f]", spend, maxInflight.Load(),
			1+float64(maxInflight.Load())*cost)
	}
}

// TestSharedSeedKeepsCountedPeriod: an instance starting later does not overwrite the spend
// the cluster counted in the current period with what its database shows.
func TestSharedSeedKeepsCountedPeriod(t *testing.T) {
	clk := fakeclock.New(utc(2025, 3, 14, 12, 0, 0))
	a, srv := newShared(t, clk.Now, false)
	k := key("k")
	k.BudgetDuration = config.BudgetDaily
	a.Seed(k, 0.5)
	if _, err := a.Admit(t.Context(), k, 1, 0); err != nil {
		t.Fatal(err)
	}
	if s := a.Finish(t.Context(), k, 1, 1, 0.25); math.Abs(s-0.75) > 1e-9 {
		t.Fatalf("Finish = %v, want the seeded 0.5 and this 0.25", s)
	}
	b := sharedOn(t, srv, clk.Now, false)
	b.Seed(k, 0.5) // its database has not seen the last charge yet
	if s, _ := b.Spend(k); math.Abs(s-0.75) > 1e-9 {
		t.Fatalf("spend after a second Seed = %v, want 0.75", s)
	}
	clk.Advance(24 * time.Hour) // the next day: a new period
	if s, _ := b.Spend(k); s != 0 {
		t.Fatalf("spend in a new period = %v, want 0", s)
	}
	b.Forget(k.ID)
	if n, err := b.rdb.Exists(t.Context(), b.key(k.ID)).Result(); err != nil || n != 0 {
		t.Fatalf("Forget left the counters: %d, %v", n, err)
	}
}

// TestSharedRedisDown: with Redis stopped, fail-open admits against local limits and reports
// the failure in Health; fail-closed refuses with 503; both recover when Redis is back.
func TestSharedRedisDown(t *testing.T) {
	for _, failClosed := range []bool{false, true} {
		t.Run(fmt.Sprintf("failClosed=%v", failClosed), func(t *testing.T) {
			clk := fakeclock.New(utc(2025, 3, 14, 12, 0, 0))
			sh, srv := newShared(t, clk.Now, failClosed)
			k := rpmKey("k", 2)
			if _, err := sh.Admit(t.Context(), k, 1, 0); err != nil {
				t.Fatal(err)
			}
			srv.Stop()
			_, err := sh.Admit(t.Context(), k, 1, 0)
			switch {
			case failClosed:
				var e *llm.Error
				if !errors.As(err, &e) || e.Status != http.StatusServiceUnavailable {
					t.Fatalf("fail-closed Admit with Redis down = %v, want a 503", err)
				}
			case err != nil:
				t.Fatalf("fail-open Admit with Redis down = %v, want admitted", err)
			default: // local limits hold: 2 per minute on this instance
				sh.Admit(t.Context(), k, 1, 0)
				if _, err := sh.Admit(t.Context(), k, 1, 0); err == nil {
					t.Fatal("local limits admitted a third request in the minute")
				}
			}
			if sh.Health() == nil {
				t.Fatal("Health() = nil with Redis down")
			}
			if s := sh.Finish(t.Context(), k, 1, 1, 0.5); s != 0.5 {
				t.Fatalf("Finish with Redis down = %v, want this instance's own count, 0.5", s)
			}
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			if err := sh.Ping(t.Context()); err != nil || sh.Health() != nil {
				t.Fatalf("after restart: Ping %v, Health %v", err, sh.Health())
			}
			if _, err := sh.Admit(t.Context(), k, 1, 0); err != nil {
				t.Fatalf("Admit after restart: %v", err)
			}
		})
	}
}

// TestSharedAdmitGivesUpWithItsRequest: Admit waits for Redis within the request's context;
// a request whose client went away is refused as closed, counts nothing, and says nothing of
// Redis (no failure recorded, the next request is served from Redis).
func TestSharedAdmitGivesUpWithItsRequest(t *testing.T) {
	for _, failClosed := range []bool{false, true} {
		t.Run(fmt.Sprintf("failClosed=%v", failClosed), func(t *testing.T) {
			clk := fakeclock.New(utc(2025, 3, 14, 12, 0, 0))
			sh, _ := newShared(t, clk.Now, failClosed)
			k := rpmKey("k", 1)
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			_, err := sh.Admit(ctx, k, 1, 0)
			var e *llm.Error
			if !errors.As(err, &e) || e.Code != llm.CodeClientClosed {
				t.Fatalf("Admit with its request gone = %v, want client closed", err)
			}
			if sh.Health() != nil {
				t.Fatalf("Health() = %v after a request went away, want nil", sh.Health())
			}
			if _, err := sh.Admit(t.Context(), k, 1, 0); err != nil {
				t.Fatalf("the next request: %v, want admitted (the gone one counted nothing)", err)
			}
			if _, err := sh.Admit(t.Context(), k, 1, 0); err == nil {
				t.Fatal("a second request in the minute admitted: the counters are not Redis's")
			}
		})
	}
}
