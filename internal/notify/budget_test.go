package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
)

func TestBudgetThresholdsOncePerPeriod(t *testing.T) {
	type step struct {
		at    time.Time
		spend float64
		want  string // "severity title" fired, "" for none
	}
	day2 := t0.AddDate(0, 0, 1)
	tests := []struct {
		name     string
		duration string
		budget   *float64
		percents []int
		steps    []step
	}{
		{"daily thresholds, each once, re-armed next day", config.BudgetDaily, new(10.0),
			[]int{50, 80, 100}, []step{
				{t0, 4, ""},
				{t0, 5, `info Key "ci" reached 50% of its budget`},
				{t0, 6, ""},
				{t0, 5.5, ""},
				{t0, 8, `warning Key "ci" reached 80% of its budget`},
				{t0, 9.99, ""},
				{t0, 10, `critical Key "ci" reached 100% of its budget`},
				{t0, 25, ""},
				{day2, 1, ""},
				{day2, 5.2, `info Key "ci" reached 50% of its budget`},
				{day2, 5.3, ""},
			}},
		{"crossing several at once fires only the highest", config.BudgetMonthly, new(2.0),
			[]int{50, 80, 100}, []step{
				{t0, 1.7, `warning Key "ci" reached 80% of its budget`},
				{t0, 1.8, ""},
				{t0, 3, `critical Key "ci" reached 100% of its budget`},
				{t0.AddDate(0, 0, 20), 3.5, ""}, // same month
				{t0.AddDate(0, 1, 0), 2, `critical Key "ci" reached 100% of its budget`},
			}},
		{"total budget never re-arms", config.BudgetTotal, new(1.0), []int{100}, []step{
			{t0, 0.99, ""},
			{t0, 1, `critical Key "ci" reached 100% of its budget`},
			{t0.AddDate(1, 0, 0), 2, ""},
		}},
		{"unsorted and odd percents", config.BudgetWeekly, new(100.0), []int{90, 0, -5, 25},
			[]step{
				{t0, 30, `info Key "ci" reached 25% of its budget`},
				{t0, 95, `warning Key "ci" reached 90% of its budget`},
				{t0.AddDate(0, 0, 6), 99, ""}, // Sunday: same week
				{t0.AddDate(0, 0, 7), 95, `warning Key "ci" reached 90% of its budget`},
			}},
		{"float sums at the threshold", config.BudgetDaily, new(1.0), []int{80}, []step{
			{t0, 0.1 + 0.7, `warning Key "ci" reached 80% of its budget`},
		}},
		{"no budget", config.BudgetDaily, nil, []int{50}, []step{{t0, 1e6, ""}}},
		{"zero budget", config.BudgetDaily, new(0.0), []int{50}, []step{{t0, 1e6, ""}}},
		{"no percents", config.BudgetDaily, new(1.0), nil, []step{{t0, 5, ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.settings.update(func(s *config.Settings) { s.BudgetAlertPercents = tc.percents })
			key := config.Key{ID: "key_ci", Name: "ci", MaxBudget: tc.budget,
				BudgetDuration: tc.duration, Enabled: true}
			for i, st := range tc.steps {
				before := len(e.published(t))
				e.svc.Budget().Observe(key, st.spend, st.at)
				pub := e.published(t)[before:]
				got := ""
				if len(pub) > 1 {
					t.Fatalf("step %d: %d notifications: %q", i, len(pub), titles(pub))
				}
				if len(pub) == 1 {
					got = titles(pub)[0]
					if pub[0].Type != TypeBudget || pub[0].KeyID != "key_ci" ||
						!pub[0].Time.Equal(st.at) || pub[0].Dedupe == "" {
						t.Fatalf("step %d: %+v", i, pub[0])
					}
				}
				if got != st.want {
					t.Fatalf("step %d (spend %v at %v): got %q, want %q", i, st.spend, st.at,
						got, st.want)
				}
			}
			// The first Observe published a key_spend event at once; the latest spend is
			// published by the next FlushSpend at the latest.
			e.svc.Budget().FlushSpend(tc.steps[len(tc.steps)-1].at)
			spends := eventsOf[KeySpend](t, e.bus, KindKeySpend)
			last := tc.steps[len(tc.steps)-1].spend
			if len(spends) == 0 || spends[0].KeyID != "key_ci" || spends[0].Spend != tc.steps[0].spend ||
				spends[len(spends)-1].Spend != last {
				t.Fatalf("key_spend events = %+v", spends)
			}
		})
	}
}

func TestBudgetBody(t *testing.T) {
	e := newEnv(t, nil)
	key := config.Key{ID: "key_ci", Name: "ci", MaxBudget: new(10.0),
		BudgetDuration: config.BudgetDaily}
	e.svc.Budget().Observe(key, 8.126, t0)
	pub := e.published(t)
	want := `Key "ci" (key_ci) has spent $8.13 of its $10.00 daily budget (81%). ` +
		`It resets at 2026-03-03T00:00:00Z.`
	if len(pub) != 1 || pub[0].Body != want {
		t.Fatalf("body = %q, want %q", pub[0].Body, want)
	}
	if pub[0].Dedupe != "budget:key_ci:2026-03-02:10:80" {
		t.Fatalf("dedupe = %q", pub[0].Dedupe)
	}
	key.BudgetDuration, key.ID, key.Name, key.MaxBudget = config.BudgetTotal, "key_2", "", new(0.01)
	e.svc.Budget().Observe(key, 0.005, t0)
	pub = e.published(t)
	if len(pub) != 2 || !strings.HasSuffix(pub[1].Body, "$0.005 of its $0.01 total budget "+
		"(50%). It is a total budget and does not reset.") ||
		pub[1].Title != `Key "key_2" reached 50% of its budget` {
		t.Fatalf("total: %+v", pub[1])
	}
}

func TestBudgetChangeRearms(t *testing.T) {
	e := newEnv(t, nil)
	key := config.Key{ID: "key_ci", Name: "ci", MaxBudget: new(10.0),
		BudgetDuration: config.BudgetDaily}
	b := e.svc.Budget()
	b.Observe(key, 8, t0) // 80%
	key.MaxBudget = new(20.0)
	b.Observe(key, 8, t0) // 40%: nothing
	b.Observe(key, 16, t0)
	key.MaxBudget = new(10.0) // back: the same budget in the same period is a new condition
	b.Observe(key, 16, t0)
	b.Forget("key_ci")
	b.Observe(key, 16, t0)
	got := titles(e.published(t))
	want := []string{
		`warning Key "ci" reached 80% of its budget`,
		`warning Key "ci" reached 80% of its budget`,
		`critical Key "ci" reached 100% of its budget`,
		`critical Key "ci" reached 100% of its budget`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got %q", got)
	}
}

func TestBudgetSurvivesRestart(t *testing.T) {
	e := newEnv(t, nil)
	key := config.Key{ID: "key_ci", Name: "ci", MaxBudget: new(10.0),
		BudgetDuration: config.BudgetDaily}
	e.svc.Budget().Observe(key, 8, t0)
	e.close(t)

	e2 := newEnv(t, func(o *Options) { o.Store = e.store })
	if err := e2.svc.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := e2.svc.Budget()
	b.Observe(key, 5, t0.Add(time.Hour))   // 50% < 80% already notified
	b.Observe(key, 8.5, t0.Add(time.Hour)) // 80% already notified
	b.Observe(key, 10, t0.Add(time.Hour))
	b.Observe(key, 5, t0.AddDate(0, 0, 1))
	got := titles(e2.published(t))
	if len(got) != 2 || got[0] != `critical Key "ci" reached 100% of its budget` ||
		got[1] != `info Key "ci" reached 50% of its budget` {
		t.Fatalf("after restart: %q", got)
	}
}

func TestBudgetConcurrent(t *testing.T) {
	e := newEnv(t, nil)
	key := config.Key{ID: "key_ci", Name: "ci", MaxBudget: new(100.0),
		BudgetDuration: config.BudgetDaily}
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				e.svc.Budget().Observe(key, float64(g+i)/2, t0)
			}
		}()
	}
	for range 8 {
		<-done
	}
	// Spend reached 100% from every goroutine; whatever the interleaving, each threshold
	// fired at most once and the last was 100%.
	pub := e.published(t)
	seen := map[string]bool{}
	for _, n := range pub {
		if seen[n.Title] {
			t.Fatalf("duplicate: %q", titles(pub))
		}
		seen[n.Title] = true
	}
	if !seen[`Key "ci" reached 100% of its budget`] {
		t.Fatalf("got %q", titles(pub))
	}
}

// A busy key gives one key_spend event per SpendEventInterval, never a stale last value.
func TestKeySpendEventsCoalesced(t *testing.T) {
	e := newEnv(t, nil)
	a := config.Key{ID: "key_a", Name: "a", BudgetDuration: config.BudgetTotal}
	b := config.Key{ID: "key_b", Name: "b", BudgetDuration: config.BudgetTotal}
	w := e.svc.Budget()
	for i := range 100 {
		w.Observe(a, float64(i+1), t0.Add(time.Duration(i)*time.Millisecond))
	}
	w.Observe(b, 7, t0)
	spends := eventsOf[KeySpend](t, e.bus, KindKeySpend)
	if len(spends) != 2 || spends[0] != (KeySpend{KeyID: "key_a", Spend: 1}) || spends[1].KeyID != "key_b" {
		t.Fatalf("before flush: %+v", spends)
	}
	w.FlushSpend(t0.Add(time.Second))
	spends = eventsOf[KeySpend](t, e.bus, KindKeySpend)
	if len(spends) != 3 || spends[2] != (KeySpend{KeyID: "key_a", Spend: 100}) {
		t.Fatalf("after flush: %+v", spends)
	}
	w.FlushSpend(t0.Add(2 * time.Second)) // nothing new
	w.Observe(a, 101, t0.Add(1500*time.Millisecond))
	w.Observe(a, 102, t0.Add(2500*time.Millisecond)) // an interval after the flushed event
	spends = eventsOf[KeySpend](t, e.bus, KindKeySpend)
	if len(spends) != 4 || spends[3].Spend != 102 {
		t.Fatalf("after the interval: %+v", spends)
	}
}
