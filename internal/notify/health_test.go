package notify

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestHealthDebounce(t *testing.T) {
	const cd = time.Minute
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	type step struct {
		at   time.Time
		up   *bool // nil: Tick
		want []string
	}
	up, down := new(true), new(false)
	tests := []struct {
		name  string
		steps []step
	}{
		{"up is the initial state", []step{
			{at(0), up, nil},
			{at(1), up, nil},
			{at(100), nil, nil},
		}},
		{"first failure is a change; repeats are not", []step{
			{at(0), down, []string{"critical Provider OpenAI is down"}},
			{at(1), down, nil},
			{at(100), down, nil},
			{at(200), up, []string{"info Provider OpenAI recovered"}},
			{at(201), up, nil},
		}},
		{"flapping inside the window: one pair per window", []step{
			{at(0), down, []string{"critical Provider OpenAI is down"}},
			{at(5), up, nil},
			{at(10), down, nil},
			{at(15), up, nil},
			{at(30), nil, nil},
			{at(59), nil, nil},
			{at(60), nil, []string{"info Provider OpenAI recovered"}},
			{at(61), down, nil}, // within a minute of the recovery: held
			{at(62), up, nil},
			{at(70), down, nil},
			{at(120), nil, []string{"critical Provider OpenAI is down"}},
			{at(121), nil, nil},
		}},
		{"a blip that reverts within the window is never reported", []step{
			{at(0), down, []string{"critical Provider OpenAI is down"}},
			{at(10), up, nil},
			{at(20), down, nil},
			{at(100), nil, nil},
			{at(200), nil, nil},
		}},
		{"a held change is also released by the next Observe", []step{
			{at(0), down, []string{"critical Provider OpenAI is down"}},
			{at(10), up, nil},
			{at(90), up, []string{"info Provider OpenAI recovered"}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			h := e.svc.Health()
			for i, st := range tc.steps {
				before := len(e.published(t))
				if st.up == nil {
					h.Tick(st.at)
				} else {
					h.Observe("prov_1", "OpenAI", *st.up, "connection refused", st.at, cd)
				}
				pub := e.published(t)[before:]
				got := titles(pub)
				if strings.Join(got, "|") != strings.Join(st.want, "|") {
					t.Fatalf("step %d: got %q, want %q", i, got, st.want)
				}
				for _, n := range pub {
					if n.Type != TypeProviderHealth || n.ProviderID != "prov_1" ||
						!n.Time.Equal(st.at) {
						t.Fatalf("step %d: %+v", i, n)
					}
				}
			}
		})
	}
}

func TestHealthEventsAndBodies(t *testing.T) {
	e := newEnv(t, nil)
	h := e.svc.Health()
	h.Observe("prov_1", "OpenAI", false, "HTTP 503", t0, time.Minute)
	h.Observe("prov_1", "", false, "HTTP 502", t0.Add(time.Second), time.Minute)
	h.Observe("prov_1", "", true, "", t0.Add(2*time.Second), time.Minute)
	h.Observe("prov_1", "", true, "", t0.Add(3*time.Second), time.Minute)
	h.Tick(t0.Add(5 * time.Minute))
	h.Observe("prov_2", "", false, "", t0, 0)
	h.Observe("prov_2", "", true, "", t0, 0) // no cooldown: every change is reported

	// Events: every observed change, undebounced.
	evs := eventsOf[ProviderHealth](t, e.bus, KindProviderHealth)
	want := []ProviderHealth{
		{ProviderID: "prov_1", Name: "OpenAI", Status: "down", Error: "HTTP 503"},
		{ProviderID: "prov_1", Name: "OpenAI", Status: "up"},
		{ProviderID: "prov_2", Name: "prov_2", Status: "down"},
		{ProviderID: "prov_2", Name: "prov_2", Status: "up"},
	}
	if len(evs) != len(want) {
		t.Fatalf("events = %+v", evs)
	}
	for i := range want {
		if evs[i] != want[i] {
			t.Fatalf("event %d = %+v, want %+v", i, evs[i], want[i])
		}
	}
	pub := e.published(t)
	if len(pub) != 4 {
		t.Fatalf("notifications = %q", titles(pub))
	}
	if pub[0].Body != "Provider OpenAI (prov_1) is down: HTTP 503. Its deployments are "+
		"skipped while other deployments or fallbacks can serve." {
		t.Fatalf("down body = %q", pub[0].Body)
	}
	if pub[1].Title != "Provider OpenAI recovered" ||
		pub[1].Body != "Provider OpenAI (prov_1) is up again after being down for 5m0s." {
		t.Fatalf("recovered = %+v", pub[1])
	}
	if !strings.Contains(pub[2].Body, "is down: unknown error") {
		t.Fatalf("no error: %q", pub[2].Body)
	}

	h.Forget("prov_2")
	h.Observe("prov_2", "", true, "", t0, 0)
	if len(e.published(t)) != 4 {
		t.Fatal("forgotten provider starts up again")
	}
}

// sharedHealth is the provider health rows of a shared database, as the store keeps them.
type sharedHealth struct {
	mu      sync.Mutex
	down    map[string]time.Time // provider → since when (absent: up)
	refused int                  // flips that changed nothing
}

func (h *sharedHealth) flip(_ context.Context, id string, up bool, at time.Time, minAge time.Duration) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	since, isDown := h.down[id]
	switch {
	case !up && !isDown:
		h.down[id] = at
		return true, nil
	case up && isDown && (minAge <= 0 || !at.Before(since.Add(minAge))):
		delete(h.down, id)
		return true, nil
	}
	h.refused++
	return false, nil
}

func (h *sharedHealth) refusals() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.refused
}

// TestHealthOnceAcrossInstances: instances sharing a database each observe a provider going
// down and coming back, and only the instance that flips the shared state notifies; one that
// finds a provider healthy which the shared state still holds down (its reporter is gone)
// brings it back up, notified, once the down state is older than the cooldown.
func TestHealthOnceAcrossInstances(t *testing.T) {
	const cd = time.Minute
	shared := &sharedHealth{down: map[string]time.Time{}}
	a := newEnv(t, func(o *Options) { o.FlipHealth = shared.flip })
	b := newEnv(t, func(o *Options) { o.FlipHealth = shared.flip })
	healthOf := func(e *env, id string) []string {
		var out []string
		for _, n := range e.published(t) {
			if n.ProviderID == id {
				out = append(out, n.Severity+" "+n.Title)
			}
		}
		return out
	}
	// barrier waits until e's flip worker has handled everything queued before it: a
	// provider of its own goes down, and its notification is the last in the queue.
	barriers := 0
	barrier := func(e *env, at time.Time) {
		barriers++
		id := fmt.Sprintf("barrier_%d", barriers)
		e.svc.Health().Observe(id, "", false, "x", at, cd)
		waitFor(t, func() bool { return len(healthOf(e, id)) == 1 })
	}
	steps := []struct {
		name     string
		inst     *env
		up       bool
		confirm  bool // a successful health check instead of an observation
		at       int  // seconds after t0
		refusals int  // flips refused so far
		wantA    []string
		wantB    []string
	}{
		{"a sees it down first and notifies", a, false, false, 0, 0,
			[]string{"critical Provider OpenAI is down"}, nil},
		{"b sees it down too: quiet", b, false, false, 1, 1,
			[]string{"critical Provider OpenAI is down"}, nil},
		{"b sees it back first and notifies", b, true, false, 100, 1,
			[]string{"critical Provider OpenAI is down"}, []string{"info Provider OpenAI recovered"}},
		{"a sees it back too: quiet", a, true, false, 101, 2,
			[]string{"critical Provider OpenAI is down"}, []string{"info Provider OpenAI recovered"}},
		{"down again, seen by a", a, false, false, 200, 2,
			[]string{"critical Provider OpenAI is down", "critical Provider OpenAI is down"},
			[]string{"info Provider OpenAI recovered"}},
		// a is gone; b never saw this outage. A check too soon after the down changes nothing.
		{"b's check within the cooldown: quiet", b, true, true, 230, 3,
			nil, []string{"info Provider OpenAI recovered"}},
		{"b's check later brings it back", b, true, true, 300, 3,
			nil, []string{"info Provider OpenAI recovered", "info Provider OpenAI recovered"}},
		{"b's next check: quiet", b, true, true, 360, 4,
			nil, []string{"info Provider OpenAI recovered", "info Provider OpenAI recovered"}},
	}
	for _, s := range steps {
		at := t0.Add(time.Duration(s.at) * time.Second)
		if s.confirm {
			s.inst.svc.Health().Confirm("prov_1", "OpenAI", at, cd)
		} else {
			s.inst.svc.Health().Observe("prov_1", "OpenAI", s.up, "connection refused", at, cd)
		}
		barrier(s.inst, at)
		if got := shared.refusals(); got != s.refusals {
			t.Fatalf("%s: %d flips refused, want %d", s.name, got, s.refusals)
		}
		if s.wantA != nil {
			if got := healthOf(a, "prov_1"); strings.Join(got, "|") != strings.Join(s.wantA, "|") {
				t.Fatalf("%s: a notified %q, want %q", s.name, got, s.wantA)
			}
		}
		if got := healthOf(b, "prov_1"); strings.Join(got, "|") != strings.Join(s.wantB, "|") {
			t.Fatalf("%s: b notified %q, want %q", s.name, got, s.wantB)
		}
	}
}
