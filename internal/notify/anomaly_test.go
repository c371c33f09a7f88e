package notify

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

const slot = 5 * time.Minute

// traffic returns the requests (and the cost of each) a key makes in the 5-minute slot
// starting at t.
type traffic func(t time.Time) (n int, cost float64)

// simulate records the traffic slot by slot from from to to, running Check after each slot
// as the gateway's 5-minute scanner would.
func simulate(a *AnomalyDetector, keyID string, from, to time.Time, tr traffic) {
	for t := from; t.Before(to); t = t.Add(slot) {
		n, cost := tr(t)
		for i := range n {
			a.Record(keyID, "ci", t.Add(time.Duration(i)*slot/time.Duration(n)), cost)
		}
		a.Check(t.Add(slot))
	}
}

func steady(time.Time) (int, float64) { return 1, 0.01 } // 12 requests, $0.12 an hour

func spike(n int, cost float64) traffic {
	first := true
	return func(t time.Time) (int, float64) {
		if first {
			first = false
			return n, cost
		}
		return steady(t)
	}
}

func TestAnomalySteadyThenSpikeFiresOncePerDay(t *testing.T) {
	e := newEnv(t, nil)
	a := e.svc.Anomaly()
	wed := t0.Add(48 * time.Hour)
	simulate(a, "key_ci", t0, wed, steady)
	if pub := e.published(t); len(pub) != 0 {
		t.Fatalf("steady traffic fired: %q", titles(pub))
	}
	simulate(a, "key_ci", wed, wed.Add(12*time.Hour), spike(300, 0.01))
	pub := e.published(t)
	if len(pub) != 1 {
		t.Fatalf("spike: %q", titles(pub))
	}
	n := pub[0]
	if n.Type != TypeAnomaly || n.Severity != SeverityWarning || n.KeyID != "key_ci" ||
		n.Title != `Unusual request rate and spend on key "ci"` ||
		!n.Time.Equal(wed.Add(slot)) || n.Dedupe != "anomaly:key_ci:2026-03-04" {
		t.Fatalf("notification = %+v", n)
	}
	wantBody := `Key "ci" (key_ci) made 310 requests costing $3.10 in the last hour, against ` +
		`an hourly average of 12.0 requests and $0.12 over its 47 active hours of the ` +
		`previous 7 days (busiest two hours: 24 requests, $0.24).`
	if n.Body != wantBody {
		t.Fatalf("body:\n got %s\nwant %s", n.Body, wantBody)
	}
	// Another spike the same UTC day: nothing. The next day: once more.
	simulate(a, "key_ci", wed.Add(12*time.Hour), wed.Add(13*time.Hour), spike(3000, 0.01))
	thu := wed.Add(24 * time.Hour)
	simulate(a, "key_ci", wed.Add(13*time.Hour), thu, steady)
	if pub := e.published(t); len(pub) != 1 {
		t.Fatalf("same day: %q", titles(pub))
	}
	// (the baseline now holds yesterday's 3000-request hour: it takes more to stand out)
	simulate(a, "key_ci", thu, thu.Add(2*time.Hour), spike(3000, 0.01))
	if pub := e.published(t); len(pub) != 1 {
		t.Fatalf("no bigger than yesterday's: %q", titles(pub))
	}
	simulate(a, "key_ci", thu.Add(2*time.Hour), thu.Add(4*time.Hour), spike(20000, 0.01))
	if pub := e.published(t); len(pub) != 2 || pub[1].Dedupe != "anomaly:key_ci:2026-03-05" {
		t.Fatalf("next day: %q", titles(pub))
	}
}

func TestAnomalySteadyTrafficNeverFires(t *testing.T) {
	e := newEnv(t, nil)
	a := e.svc.Anomaly()
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	varied := func(t time.Time) (int, float64) {
		h, m := t.Hour(), t.Minute()
		// A nightly batch from 02:20 to 03:20 straddling two clock hours: 300 requests.
		if (h == 2 && m >= 20) || (h == 3 && m < 20) {
			return 25, 0.02
		}
		if h < 8 || h >= 20 { // quiet nights
			return (h + m/5) % 2, 0.01
		}
		return 1 + (h*7+m)%4, 0.01 // busier days, varying
	}
	simulate(a, "key_ci", start, start.AddDate(0, 0, 10), varied)
	if pub := e.published(t); len(pub) != 0 {
		t.Fatalf("steady traffic fired: %q", titles(pub))
	}
}

func TestAnomalyNeedsHistoryAndMinimums(t *testing.T) {
	tests := []struct {
		name   string
		warmup traffic // 2 days
		burst  traffic // 2 hours after
		want   string
	}{
		{"a new key's first busy hour", func(time.Time) (int, float64) { return 0, 0 },
			spike(1000, 1), ""},
		{"too few active hours", func(t time.Time) (int, float64) {
			if t.Before(t0.Add(5 * time.Hour)) {
				return 1, 0.01
			}
			return 0, 0
		}, spike(1000, 1), ""},
		{"below both minimums", func(time.Time) (int, float64) { return 1, 0.001 },
			spike(35, 0.001), ""},
		{"six active hours are enough", func(t time.Time) (int, float64) {
			if t.Before(t0.Add(6 * time.Hour)) {
				return 1, 0.01
			}
			return 0, 0
		}, spike(1000, 0.0005), `Unusual request rate on key "ci"`},
		{"spend alone", steady, spike(20, 1), `Unusual spend on key "ci"`},
		{"requests alone", steady, spike(100, 0), `Unusual request rate on key "ci"`},
		{"not far enough above", func(time.Time) (int, float64) { return 5, 0.1 },
			spike(240, 0.1), ""}, // 300 in the hour vs a mean of 60 (and peak 120): ×5 exactly
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			a := e.svc.Anomaly()
			simulate(a, "key_ci", t0, t0.Add(48*time.Hour), tc.warmup)
			simulate(a, "key_ci", t0.Add(48*time.Hour), t0.Add(50*time.Hour), tc.burst)
			got := strings.Join(func() []string {
				var out []string
				for _, n := range e.published(t) {
					out = append(out, n.Title)
				}
				return out
			}(), "|")
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAnomalyForgetsIdleKeys(t *testing.T) {
	e := newEnv(t, nil)
	a := e.svc.Anomaly()
	a.Record("key_a", "a", t0, 1)
	a.Record("key_b", "b", t0, 1)
	a.Record("key_a", "a", t0.Add(-200*24*time.Hour), 1) // too old for the rings: ignored
	a.Record("key_a", "a", time.Unix(0, 0), 1)
	a.Check(t0.Add(7 * 24 * time.Hour))
	a.Forget("key_b")
	a.mu.Lock()
	n := len(a.keys)
	a.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d keys tracked, want 1", n)
	}
	a.Check(t0.Add(8*24*time.Hour + time.Second))
	a.mu.Lock()
	n = len(a.keys)
	a.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d keys tracked after 8 idle days", n)
	}
}

func TestAnomalySurvivesRestart(t *testing.T) {
	e := newEnv(t, nil)
	wed := t0.Add(48 * time.Hour)
	simulate(e.svc.Anomaly(), "key_ci", t0, wed, steady)
	simulate(e.svc.Anomaly(), "key_ci", wed, wed.Add(time.Hour), spike(300, 0.01))
	e.close(t)
	if len(e.store.stored()) != 1 {
		t.Fatalf("stored %d", len(e.store.stored()))
	}

	e2 := newEnv(t, func(o *Options) { o.Store = e.store })
	if err := e2.svc.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := e2.svc.Anomaly()
	simulate(a, "key_ci", t0, wed, steady) // the history is rebuilt, e.g. from usage rows
	simulate(a, "key_ci", wed.Add(time.Hour), wed.Add(3*time.Hour), spike(3000, 0.01))
	if pub := e2.published(t); len(pub) != 0 {
		t.Fatalf("after restart, same day: %q", titles(pub))
	}
}

func TestAnomalyConcurrent(t *testing.T) {
	e := newEnv(t, nil)
	a := e.svc.Anomaly()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				a.Record([]string{"key_a", "key_b"}[g%2], "", t0.Add(time.Duration(i)*time.Second), 0.01)
			}
		})
	}
	wg.Go(func() {
		for i := range 50 {
			a.Check(t0.Add(time.Duration(i) * time.Minute))
		}
	})
	wg.Wait()
	f, _ := a.keys["key_a"].figures(t0.Add(2000 * time.Second).Unix())
	if f.requests != 4*2000 {
		t.Fatalf("last hour of key_a = %d requests", f.requests)
	}
}
