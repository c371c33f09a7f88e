package limits

import (
	"errors"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/fakeclock"
	"github.com/conduit-gw/conduit/internal/llm"
)

func key(id string) config.Key {
	return config.Key{ID: id, BudgetDuration: config.BudgetTotal, Enabled: true}
}
func rpmKey(id string, n int) config.Key {
	k := key(id)
	k.RPM = new(n)
	return k
}

func wantErr(t *testing.T, err error, code string) *llm.Error {
	t.Helper()
	var e *llm.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *llm.Error %s", err, err, code)
	}
	if e.Status != http.StatusTooManyRequests || e.Code != code {
		t.Fatalf("error = %d %s (%s), want 429 %s", e.Status, e.Code, e.Message, code)
	}
	return e
}

func admitOK(t *testing.T, tr *Tracker, k config.Key, tokens int) Decision {
	t.Helper()
	d, err := tr.Admit(t.Context(), k, tokens, 0)
	if err != nil {
		t.Fatalf("Admit refused: %v", err)
	}
	return d
}

func TestRPM(t *testing.T) {
	clk := fakeclock.New(utc(2025, 3, 14, 12, 0, 0))
	tr := NewTracker(clk.Now)
	k := rpmKey("k", 2)

	steps := []struct {
		advance    time.Duration
		ok         bool
		remaining  int
		reset      time.Duration
		retryAfter time.Duration
	}{
		{0, true, 1, 30 * time.Second, 0},
		{0, true, 0, time.Minute, 0},
		{0, false, 0, time.Minute, 30 * time.Second},
		{10 * time.Second, false, 0, 50 * time.Second, 20 * time.Second},
		{19 * time.Second, false, 0, 31 * time.Second, time.Second},
		{time.Second, true, 0, time.Minute, 0}, // one slot back after 60s/2
		{0, false, 0, time.Minute, 30 * time.Second},
		{time.Minute, true, 1, 30 * time.Second, 0}, // fully recovered
		{0, true, 0, time.Minute, 0},
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		d, err := tr.Admit(t.Context(), k, 10, 0)
		if st.ok != (err == nil) {
			t.Fatalf("step %d: err = %v, want ok=%v", i, err, st.ok)
		}
		if !st.ok {
			e := wantErr(t, err, llm.CodeRateLimitExceeded)
			if e.RetryAfter != st.retryAfter || e.Type != "requests" {
				t.Fatalf("step %d: RetryAfter = %v type %q, want %v", i, e.RetryAfter, e.Type, st.retryAfter)
			}
			if !strings.Contains(e.Message, "2 requests per minute") {
				t.Errorf("step %d: message %q", i, e.Message)
			}
		}
		want := Decision{Limited: true, Limit: 2, Remaining: st.remaining, Reset: st.reset}
		if d != want {
			t.Fatalf("step %d: decision = %+v, want %+v", i, d, want)
		}
	}
}

func TestRPMBurstThenSteady(t *testing.T) {
	for _, rpm := range []int{1, 7, 60, 1000} {
		clk := fakeclock.New(utc(2025, 3, 14, 12, 0, 0))
		tr := NewTracker(clk.Now)
		k := rpmKey("k", rpm)
		for i := range rpm {
			d := admitOK(t, tr, k, 1)
			if d.Remaining != rpm-1-i || d.Limit != rpm {
				t.Fatalf("rpm %d, request %d: %+v", rpm, i, d)
			}
		}
		_, err := tr.Admit(t.Context(), k, 1, 0)
		e := wantErr(t, err, llm.CodeRateLimitExceeded)
		interval := time.Minute / time.Duration(rpm)
		if want := max(interval, time.Second); e.RetryAfter < want-time.Millisecond || e.RetryAfter > want+time.Millisecond {
			t.Fatalf("rpm %d: RetryAfter = %v, want %v", rpm, e.RetryAfter, want)
		}
		// Afterwards exactly one request per interval.
		clk.Advance(interval)
		admitOK(t, tr, k, 1)
		if _, err := tr.Admit(t.Context(), k, 1, 0); err == nil {
			t.Fatalf("rpm %d: two requests admitted in one interval", rpm)
		}
	}
}

func TestRPMZeroDoesNotPanic(t *testing.T) {
	tr := NewTracker(fakeclock.New(utc(2025, 3, 14, 12, 0, 0)).Now)
	_, err := tr.Admit(t.Context(), rpmKey("k", 0), 1, 0)
	wantErr(t, err, llm.CodeRateLimitExceeded)
}

func TestAdmitDecision(t *testing.T) {
	tr := NewTracker(fakeclock.New(utc(2025, 3, 14, 12, 0, 0)).Now)
	if d, want := admitOK(t, tr, rpmKey("k", 3), 1), (Decision{Limited: true, Limit: 3, Remaining: 2, Reset: 20 * time.Second}); d != want {
		t.Fatalf("decision = %+v, want %+v", d, want)
	}
	if d := admitOK(t, tr, key("free"), 1); d.Limited {
		t.Fatalf("a key without request limits is limited: %+v", d)
	}
}

func TestRPD(t *testing.T) {
	clk := fakeclock.New(utc(2025, 3, 14, 23, 59, 0))
	tr := NewTracker(clk.Now)
	k := key("k")
	k.RPD = new(3)
	for i := range 3 {
		d := admitOK(t, tr, k, 1)
		if want := (Decision{Limited: true, Limit: 3, Remaining: 2 - i, Reset: time.Minute}); d != want {
			t.Fatalf("request %d: %+v, want %+v", i, d, want)
		}
	}
	d, err := tr.Admit(t.Context(), k, 1, 0)
	e := wantErr(t, err, llm.CodeRateLimitExceeded)
	if e.RetryAfter != time.Minute || d != (Decision{Limited: true, Limit: 3, Remaining: 0, Reset: time.Minute}) {
		t.Fatalf("refused: RetryAfter %v, decision %+v", e.RetryAfter, d)
	}
	if !strings.Contains(e.Message, "3 requests per day") {
		t.Errorf("message %q", e.Message)
	}
	clk.Advance(59 * time.Second)
	_, err = tr.Admit(t.Context(), k, 1, 0)
	if e := wantErr(t, err, llm.CodeRateLimitExceeded); e.RetryAfter != time.Second {
		t.Fatalf("RetryAfter = %v, want 1s", e.RetryAfter)
	}
	clk.Advance(time.Second) // 00:00 UTC
	d = admitOK(t, tr, k, 1)
	if want := (Decision{Limited: true, Limit: 3, Remaining: 2, Reset: 24 * time.Hour}); d != want {
		t.Fatalf("new day: %+v, want %+v", d, want)
	}
}

func TestTightestRequestLimit(t *testing.T) {
	clk := fakeclock.New(utc(2025, 3, 14, 12, 0, 0))
	tests := []struct {
		name     string
		rpm, rpd int
		want     Decision
	}{
		{"rpd tighter", 10, 3, Decision{Limited: true, Limit: 3, Remaining: 2, Reset: 12 * time.Hour}},
		{"rpm tighter", 2, 100, Decision{Limited: true, Limit: 2, Remaining: 1, Reset: 30 * time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTracker(clk.Now)
			k := rpmKey("k", tc.rpm)
			k.RPD = new(tc.rpd)
			if d := admitOK(t, tr, k, 1); d != tc.want {
				t.Fatalf("decision = %+v, want %+v", d, tc.want)
			}
		})
	}
	t.Run("rpd refusal does not use an rpm slot", func(t *testing.T) {
		tr := NewTracker(clk.Now)
		k := rpmKey("k", 5)
		k.RPD = new(1)
		admitOK(t, tr, k, 1)
		for range 10 {
			if _, err := tr.Admit(t.Context(), k, 1, 0); err == nil {
				t.Fatal("rpd 1 admitted a second request")
			}
		}
		k.RPD = nil // raised: the RPM slots refused requests did not take are still there
		for range 4 {
			admitOK(t, tr, k, 1)
		}
	})
}

func TestTPM(t *testing.T) {
	start := utc(2025, 3, 14, 12, 0, 0)
	k := key("k")
	k.TPM = new(1000)

	t.Run("refuses past the limit and recovers when it says", func(t *testing.T) {
		clk := fakeclock.New(start)
		tr := NewTracker(clk.Now)
		admitOK(t, tr, k, 600)
		admitOK(t, tr, k, 300)
		d, err := tr.Admit(t.Context(), k, 200, 0)
		e := wantErr(t, err, llm.CodeRateLimitExceeded)
		if d.Limited {
			t.Errorf("TPM-only key reported request limits: %+v", d)
		}
		if !strings.Contains(e.Message, "1000 tokens per minute") {
			t.Errorf("message %q", e.Message)
		}
		// 900 counted this minute; next minute they fade out linearly: 900·(1-g) + 200 ≤ 1000
		// from g = 1/9, i.e. 66.667s from now.
		if e.RetryAfter < 66666*time.Millisecond || e.RetryAfter > 66668*time.Millisecond {
			t.Fatalf("RetryAfter = %v, want ~66.667s", e.RetryAfter)
		}
		clk.Advance(e.RetryAfter - time.Second)
		if _, err := tr.Admit(t.Context(), k, 200, 0); err == nil {
			t.Fatal("admitted a second before Retry-After")
		}
		clk.Advance(time.Second)
		admitOK(t, tr, k, 200)
	})
	t.Run("retry-after within the minute as the previous one fades", func(t *testing.T) {
		clk := fakeclock.New(start)
		tr := NewTracker(clk.Now)
		admitOK(t, tr, k, 1000)
		clk.Advance(time.Minute)
		_, err := tr.Admit(t.Context(), k, 500, 0)
		e := wantErr(t, err, llm.CodeRateLimitExceeded)
		if e.RetryAfter != 30*time.Second {
			t.Fatalf("RetryAfter = %v, want 30s", e.RetryAfter)
		}
		clk.Advance(29 * time.Second)
		if _, err := tr.Admit(t.Context(), k, 500, 0); err == nil {
			t.Fatal("admitted before Retry-After")
		}
		clk.Advance(time.Second)
		admitOK(t, tr, k, 500)
	})
	t.Run("two idle minutes forget everything", func(t *testing.T) {
		clk := fakeclock.New(start.Add(59 * time.Second))
		tr := NewTracker(clk.Now)
		admitOK(t, tr, k, 1000)
		clk.Advance(61 * time.Second)
		admitOK(t, tr, k, 1000)
	})
	t.Run("a request larger than the limit runs alone", func(t *testing.T) {
		clk := fakeclock.New(start)
		tr := NewTracker(clk.Now)
		admitOK(t, tr, k, 5000)
		_, err := tr.Admit(t.Context(), k, 1, 0)
		e := wantErr(t, err, llm.CodeRateLimitExceeded)
		clk.Advance(e.RetryAfter)
		admitOK(t, tr, k, 1)
	})
	t.Run("finish replaces the estimate with the actual tokens", func(t *testing.T) {
		clk := fakeclock.New(start)
		tr := NewTracker(clk.Now)
		admitOK(t, tr, k, 500)
		tr.Finish(t.Context(), k, 500, 100, 0) // actually 100
		admitOK(t, tr, k, 900)                 // 100 + 900 = 1000 fits
		if _, err := tr.Admit(t.Context(), k, 1, 0); err == nil {
			t.Fatal("admitted past 1000")
		}
	})
	t.Run("finish counts more than the estimate", func(t *testing.T) {
		clk := fakeclock.New(start)
		tr := NewTracker(clk.Now)
		admitOK(t, tr, k, 100)
		tr.Finish(t.Context(), k, 100, 950, 0)
		if _, err := tr.Admit(t.Context(), k, 100, 0); err == nil {
			t.Fatal("admitted 950 + 100")
		}
		admitOK(t, tr, k, 50)
	})
	t.Run("a failed request gives its estimate back", func(t *testing.T) {
		clk := fakeclock.New(start)
		tr := NewTracker(clk.Now)
		admitOK(t, tr, k, 800)
		tr.Finish(t.Context(), k, 800, 0, 0)
		admitOK(t, tr, k, 1000)
	})
	t.Run("a refused request counts nothing", func(t *testing.T) {
		clk := fakeclock.New(start)
		tr := NewTracker(clk.Now)
		admitOK(t, tr, k, 900)
		for range 5 {
			if _, err := tr.Admit(t.Context(), k, 500, 0); err == nil {
				t.Fatal("admitted past the limit")
			}
		}
		admitOK(t, tr, k, 100)
	})
}

func budgetKey(id, duration string, budget float64) config.Key {
	k := key(id)
	k.BudgetDuration, k.MaxBudget = duration, new(budget)
	return k
}

func TestBudget(t *testing.T) {
	tests := []struct {
		duration string
		now      time.Time
		reset    time.Time // zero: never
	}{
		{config.BudgetTotal, utc(2025, 3, 14, 10, 0, 0), time.Time{}},
		{config.BudgetDaily, utc(2025, 3, 14, 10, 0, 0), utc(2025, 3, 15, 0, 0, 0)},
		{config.BudgetDaily, utc(2024, 12, 31, 23, 0, 0), utc(2025, 1, 1, 0, 0, 0)},
		{config.BudgetWeekly, utc(2025, 3, 14, 10, 0, 0), utc(2025, 3, 17, 0, 0, 0)},
		{config.BudgetWeekly, utc(2024, 12, 31, 10, 0, 0), utc(2025, 1, 6, 0, 0, 0)},
		{config.BudgetMonthly, utc(2025, 1, 31, 10, 0, 0), utc(2025, 2, 1, 0, 0, 0)},
		{config.BudgetMonthly, utc(2024, 12, 15, 10, 0, 0), utc(2025, 1, 1, 0, 0, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.duration+" "+tc.now.Format(time.DateOnly), func(t *testing.T) {
			clk := fakeclock.New(tc.now)
			tr := NewTracker(clk.Now)
			k := budgetKey("k", tc.duration, 1.0)

			admitOK(t, tr, k, 1)
			tr.Finish(t.Context(), k, 1, 1, 0.6)
			admitOK(t, tr, k, 1) // 0.6 < 1.0
			tr.Finish(t.Context(), k, 1, 1, 0.4)
			spend, reset := tr.Spend(k)
			if spend != 1.0 {
				t.Fatalf("spend = %v, want 1.0", spend)
			}
			if tc.reset.IsZero() != (reset == nil) || (reset != nil && !reset.Equal(tc.reset)) {
				t.Fatalf("Spend reset = %v, want %v", reset, tc.reset)
			}

			_, err := tr.Admit(t.Context(), k, 1, 0)
			e := wantErr(t, err, llm.CodeInsufficientQuota)
			if e.Type != "insufficient_quota" || !strings.Contains(e.Message, "$1.00") {
				t.Errorf("error = %q %q", e.Type, e.Message)
			}
			if tc.reset.IsZero() {
				if e.RetryAfter != 0 {
					t.Errorf("total budget: RetryAfter = %v, want none", e.RetryAfter)
				}
				clk.Advance(5 * 365 * 24 * time.Hour)
				if _, err := tr.Admit(t.Context(), k, 1, 0); err == nil {
					t.Fatal("a total budget reset")
				}
				if spend, _ := tr.Spend(k); spend != 1.0 {
					t.Fatalf("spend = %v after years, want 1.0", spend)
				}
				return
			}
			if e.RetryAfter != tc.reset.Sub(tc.now) || !strings.Contains(e.Message, tc.reset.Format(time.RFC3339)) {
				t.Errorf("RetryAfter = %v (message %q), want %v", e.RetryAfter, e.Message, tc.reset.Sub(tc.now))
			}
			clk.Set(tc.reset.Add(-time.Nanosecond))
			if _, err := tr.Admit(t.Context(), k, 1, 0); err == nil {
				t.Fatal("admitted just before the reset")
			}
			clk.Set(tc.reset)
			admitOK(t, tr, k, 1)
			spend, next := tr.Spend(k)
			if spend != 0 || next == nil || !next.After(tc.reset) {
				t.Fatalf("new period: spend %v, next reset %v", spend, next)
			}
		})
	}
}

func TestBudgetIsCheckedBeforeCounting(t *testing.T) {
	// A request refused for its budget uses no rate-limit slot.
	clk := fakeclock.New(utc(2025, 3, 14, 10, 0, 0))
	tr := NewTracker(clk.Now)
	k := budgetKey("k", config.BudgetDaily, 1)
	k.RPM, k.RPD = new(2), new(2)
	admitOK(t, tr, k, 1)
	if s := tr.Finish(t.Context(), k, 1, 1, 5); s != 5 {
		t.Fatalf("Finish = %v, want the spend 5", s)
	}
	for range 5 {
		d, err := tr.Admit(t.Context(), k, 1, 0)
		wantErr(t, err, llm.CodeInsufficientQuota)
		if d.Remaining != 1 {
			t.Fatalf("decision = %+v, want 1 request left", d)
		}
	}
	clk.Set(utc(2025, 3, 15, 0, 0, 0))
	admitOK(t, tr, k, 1)
	if s := tr.Finish(t.Context(), k, 1, 1, 0); s != 0 {
		t.Fatalf("Finish in a new period = %v, want 0", s)
	}
	admitOK(t, tr, k, 1)
}

// TestBudgetReservesInFlightCost: with the expected cost known, concurrent requests cannot
// commit more than the budget, so nothing overshoots.
func TestBudgetReservesInFlightCost(t *testing.T) {
	tr := NewTracker(fakeclock.New(utc(2025, 3, 14, 10, 0, 0)).Now)
	const cost = 0.01
	k := budgetKey("k", config.BudgetTotal, 3.5*cost)
	admitted := 0
	for range 200 {
		if _, err := tr.Admit(t.Context(), k, 1, cost); err == nil {
			admitted++
		} else {
			wantErr(t, err, llm.CodeInsufficientQuota)
		}
	}
	if admitted != 3 {
		t.Fatalf("admitted %d of 200 in flight, want 3 (budget 3.5 requests)", admitted)
	}
	for range admitted {
		tr.Finish(t.Context(), k, 1, 1, cost)
	}
	if spend, _ := tr.Spend(k); spend > 3.5*cost {
		t.Fatalf("spend %v past budget %v", spend, 3.5*cost)
	}
	// Serially the key spends its last cents: one more request fits under the budget...
	if _, err := tr.Admit(t.Context(), k, 1, cost); err != nil {
		t.Fatalf("serial request refused with budget left: %v", err)
	}
	tr.Finish(t.Context(), k, 1, 1, cost)
	// ...and then it is spent.
	_, err := tr.Admit(t.Context(), k, 1, cost)
	wantErr(t, err, llm.CodeInsufficientQuota)
}

func TestZeroBudgetRefusesEverything(t *testing.T) {
	tr := NewTracker(fakeclock.New(utc(2025, 3, 14, 10, 0, 0)).Now)
	_, err := tr.Admit(t.Context(), budgetKey("k", config.BudgetMonthly, 0), 1, 0)
	wantErr(t, err, llm.CodeInsufficientQuota)
}

func TestSeedAndSpend(t *testing.T) {
	clk := fakeclock.New(utc(2025, 1, 31, 22, 0, 0))
	tr := NewTracker(clk.Now)
	k := budgetKey("k", config.BudgetMonthly, 10)

	if spend, reset := tr.Spend(k); spend != 0 || reset == nil || !reset.Equal(utc(2025, 2, 1, 0, 0, 0)) {
		t.Fatalf("fresh: %v %v", spend, reset)
	}
	tr.Seed(k, 9.5)
	if spend, _ := tr.Spend(k); spend != 9.5 {
		t.Fatalf("seeded spend = %v", spend)
	}
	admitOK(t, tr, k, 1)
	tr.Finish(t.Context(), k, 1, 1, 0.5)
	if spend, _ := tr.Spend(k); spend != 10 {
		t.Fatalf("spend = %v, want 10", spend)
	}
	_, err := tr.Admit(t.Context(), k, 1, 0)
	wantErr(t, err, llm.CodeInsufficientQuota)

	// Seeding replaces, never adds.
	tr.Seed(k, 2)
	if spend, _ := tr.Spend(k); spend != 2 {
		t.Fatalf("reseeded spend = %v", spend)
	}
	clk.Set(utc(2025, 2, 1, 0, 0, 0))
	if spend, reset := tr.Spend(k); spend != 0 || !reset.Equal(utc(2025, 3, 1, 0, 0, 0)) {
		t.Fatalf("next month: %v %v", spend, reset)
	}

	total := budgetKey("t", config.BudgetTotal, 10)
	tr.Seed(total, 3)
	if spend, reset := tr.Spend(total); spend != 3 || reset != nil {
		t.Fatalf("total: %v %v", spend, reset)
	}
	// Failures cost nothing.
	admitOK(t, tr, total, 1)
	tr.Finish(t.Context(), total, 1, 0, 0)
	if spend, _ := tr.Spend(total); spend != 3 {
		t.Fatalf("spend = %v after a failure", spend)
	}
}

func TestBudgetDurationChangeKeepsSpend(t *testing.T) {
	clk := fakeclock.New(utc(2025, 3, 14, 10, 0, 0))
	tr := NewTracker(clk.Now)
	k := budgetKey("k", config.BudgetDaily, 10)
	tr.Seed(k, 4)
	k.BudgetDuration = config.BudgetMonthly
	if spend, _ := tr.Spend(k); spend != 4 {
		t.Fatalf("spend = %v after changing the schedule, want 4 (kept)", spend)
	}
}

func TestForget(t *testing.T) {
	clk := fakeclock.New(utc(2025, 3, 14, 10, 0, 0))
	tr := NewTracker(clk.Now)
	k := rpmKey("k", 1)
	k.MaxBudget = new(1.0)
	admitOK(t, tr, k, 1)
	tr.Finish(t.Context(), k, 1, 1, 2)
	tr.Forget("k")
	if spend, _ := tr.Spend(k); spend != 0 {
		t.Fatalf("spend = %v after Forget", spend)
	}
	admitOK(t, tr, k, 1)
}

func TestKeysAreIndependent(t *testing.T) {
	tr := NewTracker(fakeclock.New(utc(2025, 3, 14, 10, 0, 0)).Now)
	a, b := rpmKey("a", 1), rpmKey("b", 1)
	admitOK(t, tr, a, 1)
	admitOK(t, tr, b, 1)
	if _, err := tr.Admit(t.Context(), a, 1, 0); err == nil {
		t.Fatal("a admitted twice")
	}
}

// TestBudgetConcurrentHeldFinish admits 200 requests before any of them finishes: none can be
// refused (nothing is spent yet), so the overshoot is every request in flight when the 3rd
// finish reached the budget, and nothing more.
func TestBudgetConcurrentHeldFinish(t *testing.T) {
	const (
		n    = 200
		cost = 0.25
	)
	tr := NewTracker(fakeclock.New(utc(2025, 3, 14, 10, 0, 0)).Now)
	k := budgetKey("k", config.BudgetDaily, 3*cost)

	var admitted, refused atomic.Int64
	var admits, finishes sync.WaitGroup
	release := make(chan struct{})
	admits.Add(n)
	for range n {
		finishes.Go(func() {
			_, err := tr.Admit(t.Context(), k, 1, 0)
			ok := err == nil
			if ok {
				admitted.Add(1)
			} else {
				refused.Add(1)
			}
			admits.Done()
			<-release
			if ok {
				tr.Finish(t.Context(), k, 1, 1, cost)
			}
		})
	}
	admits.Wait()
	if admitted.Load() != n {
		t.Fatalf("admitted %d of %d with nothing spent yet", admitted.Load(), n)
	}
	close(release)
	finishes.Wait()

	spend, _ := tr.Spend(k)
	inFlightAtLimit := float64(n - 3) // the budget is reached by the 3rd finish
	if spend != n*cost || spend > 3*cost+inFlightAtLimit*cost {
		t.Fatalf("spend = %v, want %v (budget %v + %v in flight)", spend, n*cost, 3*cost, inFlightAtLimit)
	}
	for range 10 {
		_, err := tr.Admit(t.Context(), k, 1, 0)
		wantErr(t, err, llm.CodeInsufficientQuota)
	}
}

// TestBudgetConcurrentInterleaved runs Admit then Finish in 200 goroutines. Every admission
// past the budget must have been in flight (admitted, not finished) when the budget was reached.
func TestBudgetConcurrentInterleaved(t *testing.T) {
	const (
		n    = 200
		cost = 0.25
	)
	for round := range 20 {
		tr := NewTracker(fakeclock.New(utc(2025, 3, 14, 10, 0, 0)).Now)
		k := budgetKey("k", config.BudgetMonthly, 3*cost)

		var admitted, inFlight, maxInFlight atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range n {
			wg.Go(func() {
				<-start
				cur := inFlight.Add(1) // counted from before Admit: an upper bound
				for {
					m := maxInFlight.Load()
					if cur <= m || maxInFlight.CompareAndSwap(m, cur) {
						break
					}
				}
				_, err := tr.Admit(t.Context(), k, 1, 0)
				if err == nil {
					admitted.Add(1)
					runtime.Gosched()
					tr.Finish(t.Context(), k, 1, 1, cost)
				} else if e := (*llm.Error)(nil); !errors.As(err, &e) || e.Code != llm.CodeInsufficientQuota {
					t.Errorf("unexpected refusal %v", err)
				}
				inFlight.Add(-1)
			})
		}
		close(start)
		wg.Wait()

		spend, _ := tr.Spend(k)
		a := admitted.Load()
		if spend != float64(a)*cost {
			t.Fatalf("round %d: spend %v for %d admitted requests", round, spend, a)
		}
		if a < 3 {
			t.Fatalf("round %d: only %d admitted under a budget of 3", round, a)
		}
		if limit := 3*cost + float64(maxInFlight.Load())*cost; spend > limit {
			t.Fatalf("round %d: spend %v > budget + in-flight·cost = %v", round, spend, limit)
		}
		if _, err := tr.Admit(t.Context(), k, 1, 0); err == nil {
			t.Fatalf("round %d: admitted after the budget was spent", round)
		}
	}
}

func TestRequestLimitsUnderConcurrency(t *testing.T) {
	tests := []struct {
		name string
		key  config.Key
		want int
	}{
		{"rpm", rpmKey("k", 10), 10},
		{"rpd", func() config.Key { k := key("k"); k.RPD = new(7); return k }(), 7},
		{"rpm and rpd", func() config.Key { k := rpmKey("k", 10); k.RPD = new(4); return k }(), 4},
		{"tpm", func() config.Key { k := key("k"); k.TPM = new(1000); return k }(), 10}, // 100 tokens each
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := fakeclock.New(utc(2025, 3, 14, 10, 0, 0))
			tr := NewTracker(clk.Now)
			burst := func() int64 {
				var admitted atomic.Int64
				var wg sync.WaitGroup
				start := make(chan struct{})
				for range 200 {
					wg.Go(func() {
						<-start
						if _, err := tr.Admit(t.Context(), tc.key, 100, 0); err == nil {
							admitted.Add(1)
						}
					})
				}
				close(start)
				wg.Wait()
				return admitted.Load()
			}
			if got := burst(); got != int64(tc.want) {
				t.Fatalf("admitted %d of 200, want exactly %d", got, tc.want)
			}
			if tc.key.RPM != nil && tc.key.RPD == nil {
				clk.Advance(time.Minute / time.Duration(*tc.key.RPM))
				if got := burst(); got != 1 {
					t.Fatalf("one interval later: admitted %d, want exactly 1", got)
				}
			}
		})
	}
}

func TestTrackerConcurrentMixedUse(t *testing.T) {
	clk := fakeclock.New(utc(2025, 3, 14, 23, 59, 0))
	tr := NewTracker(clk.Now)
	k := budgetKey("k", config.BudgetDaily, 1000)
	k.RPM, k.RPD, k.TPM = new(50), new(500), new(100000)
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for i := range 100 {
				switch (g + i) % 7 {
				case 0:
					tr.Spend(k)
				case 1:
					clk.Advance(time.Second)
				case 2:
					tr.Seed(k, 1)
				case 3:
					tr.Forget("other")
				default:
					if _, err := tr.Admit(t.Context(), k, 10, 0); err == nil {
						tr.Finish(t.Context(), k, 10, 20, 0.01)
					}
				}
			}
		})
	}
	wg.Wait()
}

// A budget smaller than a cent is named as it is set, not rounded to $0.00.
func TestBudgetErrorNamesSubCentBudget(t *testing.T) {
	tr := NewTracker(fakeclock.New(utc(2025, 3, 14, 10, 0, 0)).Now)
	k := budgetKey("k", config.BudgetTotal, 0.0001)
	admitOK(t, tr, k, 1)
	tr.Finish(t.Context(), k, 1, 1, 0.0002)
	_, err := tr.Admit(t.Context(), k, 1, 0)
	e := wantErr(t, err, llm.CodeInsufficientQuota)
	if !strings.Contains(e.Message, "budget of $0.0001") {
		t.Errorf("message = %q, want the budget as $0.0001", e.Message)
	}
}
