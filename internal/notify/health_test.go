package notify

import (
	"strings"
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
