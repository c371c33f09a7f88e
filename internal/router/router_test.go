package router

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/fakeclock"
	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/pricing"
	"github.com/conduit-gw/conduit/internal/snapshot"
)

// newClock is a test clock at a fixed start.
func newClock() *fakeclock.Clock {
	return fakeclock.New(time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC))
}

var testProvider = &snapshot.Provider{Provider: config.Provider{ID: "p1", Name: "prov", Type: "openai", Enabled: true}}

// dep builds a deployment; opts may be "vision", "tools", "embeddings", "streaming",
// "w=<n>" (weight) or "price=<in>/<out>".
func dep(id, alias string, priority int, opts ...string) *snapshot.Deployment {
	d := &snapshot.Deployment{
		Deployment: config.Deployment{ID: id, Alias: alias, ProviderID: "p1", ProviderModel: "m-" + id,
			Priority: priority, Enabled: true},
		Provider: testProvider,
	}
	for _, o := range opts {
		switch {
		case o == "vision":
			d.SupportsVision = true
		case o == "tools":
			d.SupportsTools = true
		case o == "embeddings":
			d.SupportsEmbeddings = true
		case o == "streaming":
			d.SupportsStreaming = true
		case strings.HasPrefix(o, "w="):
			if _, err := fmt.Sscanf(o, "w=%d", &d.Weight); err != nil {
				panic(err)
			}
		case strings.HasPrefix(o, "price="):
			var in, out float64
			if _, err := fmt.Sscanf(o, "price=%g/%g", &in, &out); err != nil {
				panic(err)
			}
			d.Price = pricing.Row{Cost: config.Cost{ModelPattern: d.ProviderModel, InputPerMTok: in, OutputPerMTok: out}}
			d.Priced = true
		default:
			panic("unknown option " + o)
		}
	}
	return d
}

// snap builds a snapshot by hand: deployments are grouped by alias in the order given, and the
// Any* flags are derived from them as snapshot.Build does.
func snap(strategy string, fallbacks map[string][]string, deps ...*snapshot.Deployment) *snapshot.Snapshot {
	rc := config.DefaultRouter()
	rc.Strategy = strategy
	if fallbacks != nil {
		rc.Fallbacks = fallbacks
	}
	s := &snapshot.Snapshot{Aliases: map[string]*snapshot.Alias{}, Router: rc}
	for _, d := range deps {
		a := s.Aliases[d.Alias]
		if a == nil {
			a = &snapshot.Alias{Name: d.Alias}
			s.Aliases[d.Alias] = a
			s.AliasNames = append(s.AliasNames, d.Alias)
		}
		a.Deployments = append(a.Deployments, d)
		a.AnyVision = a.AnyVision || d.SupportsVision
		a.AnyTools = a.AnyTools || d.SupportsTools
		a.AnyEmbeddings = a.AnyEmbeddings || d.SupportsEmbeddings
		a.AnyStreaming = a.AnyStreaming || d.SupportsStreaming
	}
	return s
}

func ids(ds []*snapshot.Deployment) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

func mustPlan(t *testing.T, r *Router, s *snapshot.Snapshot, alias string, needs Needs) []string {
	t.Helper()
	p, err := r.Plan(s, alias, needs)
	if err != nil {
		t.Fatalf("Plan(%q, %+v): %v", alias, needs, err)
	}
	return ids(p)
}

func asLLMError(t *testing.T, err error, status int, code string) *llm.Error {
	t.Helper()
	var e *llm.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *llm.Error", err, err)
	}
	if e.Status != status || e.Code != code {
		t.Fatalf("error = %d %s (%q), want %d %s", e.Status, e.Code, e.Message, status, code)
	}
	return e
}

var allStrategies = []string{config.StrategySimple, config.StrategyRandom, config.StrategyRoundRobin,
	config.StrategyWeighted, config.StrategyLeastLatency, config.StrategyLeastCost}

func TestPlanSimple(t *testing.T) {
	tests := []struct {
		name string
		deps []*snapshot.Deployment
		want []string
	}{
		{"single", []*snapshot.Deployment{dep("a", "m", 0)}, []string{"a"}},
		{"config order in one tier",
			[]*snapshot.Deployment{dep("c", "m", 0), dep("a", "m", 0), dep("b", "m", 0)},
			[]string{"c", "a", "b"}},
		{"priority tiers then config order",
			[]*snapshot.Deployment{dep("a", "m", 0), dep("b", "m", 0), dep("c", "m", 1), dep("d", "m", 1), dep("e", "m", 5)},
			[]string{"a", "b", "c", "d", "e"}},
		{"tiers even when the alias is not sorted by priority",
			[]*snapshot.Deployment{dep("low1", "m", 2), dep("high1", "m", 0), dep("mid", "m", 1), dep("high2", "m", 0), dep("low2", "m", 2)},
			[]string{"high1", "high2", "mid", "low1", "low2"}},
		{"negative priority first",
			[]*snapshot.Deployment{dep("a", "m", 0), dep("b", "m", -1)},
			[]string{"b", "a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := New(newClock().Now, 1)
			s := snap(config.StrategySimple, nil, tc.deps...)
			for range 5 { // stable across calls
				if got := mustPlan(t, r, s, "m", Needs{}); !slices.Equal(got, tc.want) {
					t.Fatalf("plan = %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestPlanUnknownStrategyIsSimple(t *testing.T) {
	r := New(newClock().Now, 1)
	s := snap("no-such-strategy", nil, dep("b", "m", 0), dep("a", "m", 0))
	if got := mustPlan(t, r, s, "m", Needs{}); !slices.Equal(got, []string{"b", "a"}) {
		t.Fatalf("plan = %v", got)
	}
}

func TestPlanRandom(t *testing.T) {
	const plans = 4000
	r := New(newClock().Now, 42)
	s := snap(config.StrategyRandom, nil, dep("a", "m", 0), dep("b", "m", 0), dep("c", "m", 0), dep("z", "m", 1))
	first := map[string]int{}
	orders := map[string]bool{}
	for range plans {
		got := mustPlan(t, r, s, "m", Needs{})
		if len(got) != 4 || got[3] != "z" {
			t.Fatalf("plan = %v: want a permutation of a,b,c then z", got)
		}
		sorted := slices.Sorted(slices.Values(got[:3]))
		if !slices.Equal(sorted, []string{"a", "b", "c"}) {
			t.Fatalf("plan = %v is not a permutation", got)
		}
		first[got[0]]++
		orders[strings.Join(got, ",")] = true
	}
	for _, id := range []string{"a", "b", "c"} {
		// Expected 1333; the standard deviation is ~30, so ±200 is a wide, seed-independent margin.
		if n := first[id]; n < plans/3-200 || n > plans/3+200 {
			t.Errorf("%s first %d times of %d, want about %d", id, n, plans, plans/3)
		}
	}
	if len(orders) != 6 {
		t.Errorf("saw %d distinct orders, want all 6 permutations", len(orders))
	}
}

func TestPlanRandomDeterministicPerSeed(t *testing.T) {
	s := snap(config.StrategyRandom, nil, dep("a", "m", 0), dep("b", "m", 0), dep("c", "m", 0), dep("d", "m", 0))
	run := func(seed uint64) []string {
		r := New(newClock().Now, seed)
		var out []string
		for range 20 {
			out = append(out, strings.Join(mustPlan(t, r, s, "m", Needs{}), ""))
		}
		return out
	}
	if a, b := run(7), run(7); !slices.Equal(a, b) {
		t.Fatalf("same seed gave different plans:\n%v\n%v", a, b)
	}
}

func TestPlanRoundRobin(t *testing.T) {
	t.Run("rotates exactly", func(t *testing.T) {
		r := New(newClock().Now, 1)
		s := snap(config.StrategyRoundRobin, nil, dep("a", "m", 0), dep("b", "m", 0), dep("c", "m", 0))
		want := [][]string{{"a", "b", "c"}, {"b", "c", "a"}, {"c", "a", "b"}}
		for i := range 9 {
			if got := mustPlan(t, r, s, "m", Needs{}); !slices.Equal(got, want[i%3]) {
				t.Fatalf("plan %d = %v, want %v", i, got, want[i%3])
			}
		}
	})
	t.Run("every tier rotates", func(t *testing.T) {
		// Two tiers of two: each tier must alternate on every plan.
		r := New(newClock().Now, 1)
		s := snap(config.StrategyRoundRobin, nil, dep("a", "m", 0), dep("b", "m", 0), dep("c", "m", 1), dep("d", "m", 1))
		want := [][]string{{"a", "b", "c", "d"}, {"b", "a", "d", "c"}}
		for i := range 6 {
			if got := mustPlan(t, r, s, "m", Needs{}); !slices.Equal(got, want[i%2]) {
				t.Fatalf("plan %d = %v, want %v", i, got, want[i%2])
			}
		}
	})
	t.Run("aliases rotate independently", func(t *testing.T) {
		r := New(newClock().Now, 1)
		s := snap(config.StrategyRoundRobin, nil, dep("a", "m", 0), dep("b", "m", 0), dep("x", "n", 0), dep("y", "n", 0))
		mustPlan(t, r, s, "m", Needs{})
		mustPlan(t, r, s, "m", Needs{})
		mustPlan(t, r, s, "m", Needs{})
		if got := mustPlan(t, r, s, "n", Needs{}); !slices.Equal(got, []string{"x", "y"}) {
			t.Fatalf("first plan of n = %v, want x,y", got)
		}
	})
}

func TestPlanWeighted(t *testing.T) {
	const picks = 4000
	tests := []struct {
		name string
		deps []*snapshot.Deployment
		want map[string]float64 // share of first place
	}{
		{"3:1", []*snapshot.Deployment{dep("a", "m", 0, "w=3"), dep("b", "m", 0, "w=1")},
			map[string]float64{"a": 0.75, "b": 0.25}},
		{"1:3 order independent", []*snapshot.Deployment{dep("a", "m", 0, "w=1"), dep("b", "m", 0, "w=3")},
			map[string]float64{"a": 0.25, "b": 0.75}},
		{"zero weight counts as 1", []*snapshot.Deployment{dep("a", "m", 0), dep("b", "m", 0, "w=1")},
			map[string]float64{"a": 0.5, "b": 0.5}},
		{"2:1:1", []*snapshot.Deployment{dep("a", "m", 0, "w=2"), dep("b", "m", 0, "w=1"), dep("c", "m", 0, "w=1")},
			map[string]float64{"a": 0.5, "b": 0.25, "c": 0.25}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := New(newClock().Now, 3)
			s := snap(config.StrategyWeighted, nil, tc.deps...)
			first := map[string]int{}
			for range picks {
				got := mustPlan(t, r, s, "m", Needs{})
				if len(got) != len(tc.deps) {
					t.Fatalf("plan = %v, want every deployment", got)
				}
				first[got[0]]++
			}
			for id, share := range tc.want {
				// ±0.04·4000 = 160 is more than 5 standard deviations for every case here.
				if n := float64(first[id]); n < (share-0.04)*picks || n > (share+0.04)*picks {
					t.Errorf("%s first %v times of %d, want about %v", id, n, picks, share*picks)
				}
			}
		})
	}
}

func TestPlanLeastLatency(t *testing.T) {
	r := New(newClock().Now, 1)
	a, b, c := dep("a", "m", 0), dep("b", "m", 0), dep("c", "m", 0)
	s := snap(config.StrategyLeastLatency, nil, a, b, c, dep("z", "m", 1))
	steps := []struct {
		name    string
		success *snapshot.Deployment
		latency time.Duration
		want    []string
	}{
		{name: "nothing measured: config order", want: []string{"a", "b", "c", "z"}},
		{name: "a measured, unmeasured first", success: a, latency: 300 * time.Millisecond, want: []string{"b", "c", "a", "z"}},
		{name: "b faster than a", success: b, latency: 100 * time.Millisecond, want: []string{"c", "b", "a", "z"}},
		{name: "c slowest", success: c, latency: time.Second, want: []string{"b", "a", "c", "z"}},
		// EWMA of b: 0.8·100 + 0.2·900 = 260 < 300: still ahead of a.
		{name: "b slower once", success: b, latency: 900 * time.Millisecond, want: []string{"b", "a", "c", "z"}},
		// 0.8·260 + 0.2·900 = 388 > 300.
		{name: "b slower twice", success: b, latency: 900 * time.Millisecond, want: []string{"a", "b", "c", "z"}},
	}
	for _, st := range steps {
		if st.success != nil {
			r.Success(st.success, st.latency)
		}
		if got := mustPlan(t, r, s, "m", Needs{}); !slices.Equal(got, st.want) {
			t.Fatalf("%s: plan = %v, want %v", st.name, got, st.want)
		}
	}
	if h := r.Health("b"); h.LatencyMS < 387.9 || h.LatencyMS > 388.1 {
		t.Errorf("b latency = %v ms, want 388", h.LatencyMS)
	}
}

func TestLatencyEWMACountsZero(t *testing.T) {
	// A first sample of 0 ms (a fake clock, a cached answer) is a measurement, not "unmeasured".
	r := New(newClock().Now, 1)
	d := dep("a", "m", 0)
	r.Success(d, 0)
	r.Success(d, 100*time.Millisecond)
	if h := r.Health("a"); h.LatencyMS < 19.9 || h.LatencyMS > 20.1 {
		t.Fatalf("latency = %v ms, want 0.8·0 + 0.2·100 = 20", h.LatencyMS)
	}
}

func TestPlanLeastCost(t *testing.T) {
	r := New(newClock().Now, 1)
	s := snap(config.StrategyLeastCost, nil,
		dep("dear", "m", 0, "price=10/30"),
		dep("unpriced", "m", 0),
		dep("cheap", "m", 0, "price=1/2"),
		dep("free", "m", 0, "price=0/0"),
		dep("mid", "m", 0, "price=2/2"),
		dep("unpriced2", "m", 0),
		dep("backup-cheapest", "m", 1, "price=0/0"),
		dep("backup-dear", "m", 1, "price=50/50"),
	)
	want := []string{"free", "cheap", "mid", "dear", "unpriced", "unpriced2", "backup-cheapest", "backup-dear"}
	if got := mustPlan(t, r, s, "m", Needs{}); !slices.Equal(got, want) {
		t.Fatalf("plan = %v, want %v", got, want)
	}
}

func TestPriorityTiersInEveryStrategy(t *testing.T) {
	for _, strategy := range allStrategies {
		t.Run(strategy, func(t *testing.T) {
			r := New(newClock().Now, 9)
			// Deliberately not sorted by priority; the cheap and fast ones are in the worse tiers.
			deps := []*snapshot.Deployment{
				dep("t2a", "m", 2, "price=0/0", "w=100"),
				dep("t0a", "m", 0, "price=9/9", "w=1"),
				dep("t1a", "m", 1, "price=0/0", "w=100"),
				dep("t0b", "m", 0, "price=8/9", "w=1"),
				dep("t1b", "m", 1, "price=1/1", "w=50"),
				dep("t2b", "m", 2, "price=1/0", "w=1"),
			}
			r.Success(deps[0], time.Millisecond) // fastest, worst tier
			r.Success(deps[1], time.Hour)
			s := snap(strategy, nil, deps...)
			for i := range 200 {
				p, err := r.Plan(s, "m", Needs{})
				if err != nil {
					t.Fatal(err)
				}
				if len(p) != len(deps) {
					t.Fatalf("plan %d = %v, want all %d deployments", i, ids(p), len(deps))
				}
				for j := 1; j < len(p); j++ {
					if p[j].Priority < p[j-1].Priority {
						t.Fatalf("plan %d = %v breaks priority tiers", i, ids(p))
					}
				}
			}
		})
	}
}

func TestPlanFallbacks(t *testing.T) {
	deps := []*snapshot.Deployment{
		dep("m1", "main", 0), dep("m2", "main", 1),
		dep("f1", "fb1", 0), dep("f2", "fb1", 0),
		dep("g1", "fb2", 0),
		dep("o1", "other", 0),
	}
	tests := []struct {
		name      string
		fallbacks map[string][]string
		want      []string
	}{
		{"no fallbacks", nil, []string{"m1", "m2"}},
		{"in order", map[string][]string{"main": {"fb2", "fb1"}}, []string{"m1", "m2", "g1", "f1", "f2"}},
		{"unknown skipped", map[string][]string{"main": {"nope", "fb1", "gone", "fb2"}}, []string{"m1", "m2", "f1", "f2", "g1"}},
		{"self and duplicates skipped", map[string][]string{"main": {"main", "fb1", "fb1", "fb2", "main"}}, []string{"m1", "m2", "f1", "f2", "g1"}},
		{"only this alias's fallbacks", map[string][]string{"other": {"fb1"}}, []string{"m1", "m2"}},
		{"fallbacks are not transitive", map[string][]string{"main": {"fb1"}, "fb1": {"fb2"}}, []string{"m1", "m2", "f1", "f2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := New(newClock().Now, 1)
			s := snap(config.StrategySimple, tc.fallbacks, deps...)
			if got := mustPlan(t, r, s, "main", Needs{}); !slices.Equal(got, tc.want) {
				t.Fatalf("plan = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPlanUnknownAlias(t *testing.T) {
	r := New(newClock().Now, 1)
	s := snap(config.StrategySimple, map[string][]string{"ghost": {"m"}}, dep("a", "m", 0))
	for _, alias := range []string{"ghost", "", "M"} {
		p, err := r.Plan(s, alias, Needs{})
		if p != nil {
			t.Errorf("Plan(%q) = %v, want nil", alias, ids(p))
		}
		e := asLLMError(t, err, http.StatusNotFound, llm.CodeModelNotFound)
		if e.Type != "invalid_request_error" {
			t.Errorf("type = %q", e.Type)
		}
	}
}

func TestPlanAliasWithoutDeployments(t *testing.T) {
	r := New(newClock().Now, 1)
	s := snap(config.StrategySimple, map[string][]string{"fb-empty": {"m"}}, dep("a", "m", 0))
	s.Aliases["empty"] = &snapshot.Alias{Name: "empty"}
	s.Aliases["fb-empty"] = &snapshot.Alias{Name: "fb-empty"}
	_, err := r.Plan(s, "empty", Needs{})
	asLLMError(t, err, http.StatusNotFound, llm.CodeModelNotFound)
	// Its fallbacks still serve it.
	if got := mustPlan(t, r, s, "fb-empty", Needs{Vision: true}); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("plan = %v, want [a]", got)
	}
}

func TestPlanCapabilities(t *testing.T) {
	mixed := []*snapshot.Deployment{
		dep("plain", "m", 0),
		dep("vis", "m", 0, "vision", "streaming"),
		dep("tool", "m", 0, "tools", "streaming"),
		dep("all", "m", 1, "vision", "tools", "streaming"),
		dep("emb", "m", 1, "embeddings"),
	}
	undeclared := []*snapshot.Deployment{dep("x", "m", 0), dep("y", "m", 0)}
	split := []*snapshot.Deployment{dep("v", "m", 0, "vision"), dep("t", "m", 0, "tools")}
	tests := []struct {
		name  string
		deps  []*snapshot.Deployment
		needs Needs
		want  []string
		err   bool
	}{
		{"no needs: everything", mixed, Needs{}, []string{"plain", "vis", "tool", "all", "emb"}, false},
		{"vision", mixed, Needs{Vision: true}, []string{"vis", "all"}, false},
		{"tools", mixed, Needs{Tools: true}, []string{"tool", "all"}, false},
		{"vision and tools", mixed, Needs{Vision: true, Tools: true}, []string{"all"}, false},
		{"streaming", mixed, Needs{Streaming: true}, []string{"vis", "tool", "all"}, false},
		{"embeddings", mixed, Needs{Embeddings: true}, []string{"emb"}, false},
		{"vision undeclared: no filter", undeclared, Needs{Vision: true}, []string{"x", "y"}, false},
		{"tools undeclared: no filter", undeclared, Needs{Tools: true}, []string{"x", "y"}, false},
		{"embeddings undeclared: no filter", undeclared, Needs{Embeddings: true}, []string{"x", "y"}, false},
		{"streaming undeclared: no filter", undeclared, Needs{Streaming: true}, []string{"x", "y"}, false},
		{"everything undeclared: no filter", undeclared, Needs{Vision: true, Tools: true, Embeddings: true, Streaming: true}, []string{"x", "y"}, false},
		{"only declared ones filter", split, Needs{Vision: true, Streaming: true}, []string{"v"}, false},
		{"no deployment has both", split, Needs{Vision: true, Tools: true}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := New(newClock().Now, 1)
			s := snap(config.StrategySimple, nil, tc.deps...)
			p, err := r.Plan(s, "m", tc.needs)
			if tc.err {
				e := asLLMError(t, err, http.StatusBadRequest, llm.CodeInvalidRequest)
				if e.Param != "model" {
					t.Errorf("param = %q, want model", e.Param)
				}
				if !strings.Contains(e.Message, "image inputs") || !strings.Contains(e.Message, "tools") {
					t.Errorf("message %q should name both missing capabilities", e.Message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(p); !slices.Equal(got, tc.want) {
				t.Fatalf("plan = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPlanCapabilitiesWithFallbacks(t *testing.T) {
	// Each alias filters on what its own deployments declare; the fallback's capable deployments
	// keep the plan alive when the alias itself has none.
	r := New(newClock().Now, 1)
	s := snap(config.StrategySimple, map[string][]string{"m": {"fb"}},
		dep("v", "m", 0, "vision"), dep("t", "m", 0, "tools"),
		dep("fvt", "fb", 0, "vision", "tools"), dep("fplain", "fb", 0))
	if got := mustPlan(t, r, s, "m", Needs{Vision: true, Tools: true}); !slices.Equal(got, []string{"fvt"}) {
		t.Fatalf("plan = %v, want [fvt]", got)
	}
	if got := mustPlan(t, r, s, "m", Needs{Vision: true}); !slices.Equal(got, []string{"v", "fvt"}) {
		t.Fatalf("plan = %v, want [v fvt]", got)
	}
}

func cooldownCfg(after, secs int) config.Router {
	c := config.DefaultRouter()
	c.CooldownAfterFailures, c.CooldownS = after, secs
	return c
}

var errUpstream = &llm.Error{Status: http.StatusBadGateway, Code: llm.CodeUpstreamError, Message: "boom", Retryable: true}

func TestCooldown(t *testing.T) {
	clk := newClock()
	r := New(clk.Now, 1)
	a, b := dep("a", "m", 0), dep("b", "m", 0)
	s := snap(config.StrategySimple, nil, a, b)
	s.Router = cooldownCfg(2, 30)
	cfg := s.Router

	if r.Failure(a, cfg, errUpstream) || r.CoolingDown(a) {
		t.Fatal("first failure entered cooldown; threshold is 2")
	}
	if got := mustPlan(t, r, s, "m", Needs{}); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("one failure: plan = %v, want a still in", got)
	}
	if !r.Failure(a, cfg, errUpstream) || !r.CoolingDown(a) || r.CoolingDown(b) {
		t.Fatal("second consecutive failure did not enter cooldown")
	}
	if r.Failure(a, cfg, errUpstream) {
		t.Fatal("a failure during cooldown reported entering it again")
	}
	// The cooldown restarted at the last failure.
	if got := mustPlan(t, r, s, "m", Needs{}); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("a cooling: plan = %v, want [b]", got)
	}

	clk.Advance(10 * time.Second)
	r.Failure(b, cfg, errUpstream)
	if !r.Failure(b, cfg, errUpstream) {
		t.Fatal("b did not enter cooldown")
	}
	_, err := r.Plan(s, "m", Needs{})
	e := asLLMError(t, err, http.StatusServiceUnavailable, llm.CodeNoHealthyDeployment)
	if e.RetryAfter != 20*time.Second { // a recovers first, 30s after its last failure
		t.Fatalf("RetryAfter = %v, want 20s", e.RetryAfter)
	}

	// a's cooldown ends: exactly one Plan gets it as a probe.
	clk.Advance(20 * time.Second)
	if got := mustPlan(t, r, s, "m", Needs{}); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("after a's cooldown: plan = %v, want the probe [a]", got)
	}
	_, err = r.Plan(s, "m", Needs{})
	e = asLLMError(t, err, http.StatusServiceUnavailable, llm.CodeNoHealthyDeployment)
	if e.RetryAfter <= 0 || e.RetryAfter > 10*time.Second {
		t.Fatalf("probe in flight: RetryAfter = %v, want in (0, 10s] (b's cooldown)", e.RetryAfter)
	}

	// The probe succeeds: a is back for everyone.
	r.Success(a, 50*time.Millisecond)
	for range 3 {
		if got := mustPlan(t, r, s, "m", Needs{}); !slices.Equal(got, []string{"a"}) {
			t.Fatalf("a recovered: plan = %v, want [a]", got)
		}
	}
	if r.Failure(a, cfg, errUpstream) {
		t.Fatal("one failure after recovery entered cooldown; the count restarts at 0")
	}

	// b's cooldown ends; its probe fails and puts it straight back.
	clk.Advance(10 * time.Second)
	if got := mustPlan(t, r, s, "m", Needs{}); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("b probe: plan = %v, want [a b]", got)
	}
	if got := mustPlan(t, r, s, "m", Needs{}); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("b probe in flight: plan = %v, want [a]", got)
	}
	if !r.Failure(b, cfg, errUpstream) {
		t.Fatal("a failed probe should re-enter cooldown")
	}
	if h := r.Health("b"); !h.CooldownUntil.Equal(clk.Now().Add(30 * time.Second)) {
		t.Fatalf("b cooldown until %v, want %v", h.CooldownUntil, clk.Now().Add(30*time.Second))
	}
	if got := mustPlan(t, r, s, "m", Needs{}); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("b back in cooldown: plan = %v, want [a]", got)
	}
}

func TestCooldownProbeTimesOut(t *testing.T) {
	// A probe whose outcome is never reported does not lock the deployment out for ever: after
	// another cooldown period a new probe is let through.
	clk := newClock()
	r := New(clk.Now, 1)
	a := dep("a", "m", 0)
	s := snap(config.StrategySimple, nil, a)
	s.Router = cooldownCfg(1, 30)
	r.Failure(a, s.Router, errUpstream)
	clk.Advance(30 * time.Second)
	mustPlan(t, r, s, "m", Needs{})
	clk.Advance(29 * time.Second)
	_, err := r.Plan(s, "m", Needs{})
	e := asLLMError(t, err, http.StatusServiceUnavailable, llm.CodeNoHealthyDeployment)
	if e.RetryAfter != time.Second {
		t.Fatalf("RetryAfter = %v, want 1s (until the probe times out)", e.RetryAfter)
	}
	clk.Advance(time.Second)
	if got := mustPlan(t, r, s, "m", Needs{}); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("plan = %v, want a new probe", got)
	}
}

func TestCooldownOneConcurrentProbe(t *testing.T) {
	clk := newClock()
	r := New(clk.Now, 1)
	a, b := dep("a", "m", 0), dep("b", "m", 1)
	s := snap(config.StrategySimple, nil, a, b)
	s.Router = cooldownCfg(1, 5)
	r.Failure(a, s.Router, errUpstream)
	clk.Advance(5 * time.Second)

	const n = 64
	var wg sync.WaitGroup
	var mu sync.Mutex
	probes := 0
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			p, err := r.Plan(s, "m", Needs{})
			if err != nil {
				t.Error(err)
				return
			}
			if slices.Contains(ids(p), "a") {
				mu.Lock()
				probes++
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if probes != 1 {
		t.Fatalf("%d concurrent plans got the probe, want exactly 1", probes)
	}
}

func TestCooldownAcrossFallbacks(t *testing.T) {
	clk := newClock()
	r := New(clk.Now, 1)
	a, f := dep("a", "m", 0), dep("f", "fb", 0)
	s := snap(config.StrategySimple, map[string][]string{"m": {"fb"}}, a, f)
	s.Router.CooldownAfterFailures, s.Router.CooldownS = 1, 60
	r.Failure(a, s.Router, errUpstream)
	if got := mustPlan(t, r, s, "m", Needs{}); !slices.Equal(got, []string{"f"}) {
		t.Fatalf("plan = %v, want the fallback", got)
	}
	clk.Advance(50 * time.Second)
	r.Failure(f, s.Router, errUpstream)
	_, err := r.Plan(s, "m", Needs{})
	e := asLLMError(t, err, http.StatusServiceUnavailable, llm.CodeNoHealthyDeployment)
	if e.RetryAfter != 10*time.Second {
		t.Fatalf("RetryAfter = %v, want 10s (a recovers first)", e.RetryAfter)
	}
	// Only the fallback's cooldown ends sooner: Retry-After must look at it too.
	r.Success(a, time.Millisecond)
	r.Failure(a, s.Router, errUpstream) // a: 60s again
	clk.Advance(30 * time.Second)       // f: 30s left, a: 30s left
	r.Success(f, time.Millisecond)
	r.Failure(f, s.Router, errUpstream) // f: 60s
	clk.Advance(20 * time.Second)       // a: 10s left, f: 40s left
	_, err = r.Plan(s, "m", Needs{})
	e = asLLMError(t, err, http.StatusServiceUnavailable, llm.CodeNoHealthyDeployment)
	if e.RetryAfter != 10*time.Second {
		t.Fatalf("RetryAfter = %v, want 10s", e.RetryAfter)
	}
	r.Success(a, time.Millisecond)
	r.Failure(a, s.Router, errUpstream) // a: 60s, f: 40s
	_, err = r.Plan(s, "m", Needs{})
	e = asLLMError(t, err, http.StatusServiceUnavailable, llm.CodeNoHealthyDeployment)
	if e.RetryAfter != 40*time.Second {
		t.Fatalf("RetryAfter = %v, want 40s (the fallback recovers first)", e.RetryAfter)
	}
}

func TestCooldownIgnoresIncapableDeployments(t *testing.T) {
	// Retry-After names when a deployment that can serve the request comes back.
	clk := newClock()
	r := New(clk.Now, 1)
	v, p := dep("v", "m", 0, "vision"), dep("p", "m", 0)
	s := snap(config.StrategySimple, nil, v, p)
	s.Router = cooldownCfg(1, 60)
	r.Failure(v, s.Router, errUpstream)
	clk.Advance(50 * time.Second)
	r.Failure(p, s.Router, errUpstream)
	_, err := r.Plan(s, "m", Needs{Vision: true})
	e := asLLMError(t, err, http.StatusServiceUnavailable, llm.CodeNoHealthyDeployment)
	if e.RetryAfter != 10*time.Second {
		t.Fatalf("RetryAfter = %v, want 10s", e.RetryAfter)
	}
	clk.Advance(10 * time.Second)
	r.Failure(v, s.Router, errUpstream) // v: 60s; p (incapable): 50s
	_, err = r.Plan(s, "m", Needs{Vision: true})
	e = asLLMError(t, err, http.StatusServiceUnavailable, llm.CodeNoHealthyDeployment)
	if e.RetryAfter != 60*time.Second {
		t.Fatalf("RetryAfter = %v, want 60s (p cannot serve images)", e.RetryAfter)
	}
}

func TestCooldownDisabled(t *testing.T) {
	for _, tc := range []struct{ after, secs int }{{0, 30}, {3, 0}, {0, 0}} {
		t.Run(fmt.Sprintf("after=%d,s=%d", tc.after, tc.secs), func(t *testing.T) {
			r := New(newClock().Now, 1)
			a, b := dep("a", "m", 0), dep("b", "m", 0)
			s := snap(config.StrategySimple, nil, a, b)
			s.Router = cooldownCfg(tc.after, tc.secs)
			for range 10 {
				if r.Failure(a, s.Router, errUpstream) || r.Failure(b, s.Router, errUpstream) {
					t.Fatal("Failure entered cooldown while cooldowns are off")
				}
			}
			if got := mustPlan(t, r, s, "m", Needs{}); !slices.Equal(got, []string{"a", "b"}) {
				t.Fatalf("plan = %v, want both", got)
			}
			if h := r.Health("a"); h.Status != "down" || !h.CooldownUntil.IsZero() {
				t.Fatalf("health = %+v, want down without a cooldown", h)
			}
		})
	}
	t.Run("turning cooldowns off frees cooling deployments", func(t *testing.T) {
		r := New(newClock().Now, 1)
		a := dep("a", "m", 0)
		s := snap(config.StrategySimple, nil, a)
		s.Router = cooldownCfg(1, 30)
		r.Failure(a, s.Router, errUpstream)
		if _, err := r.Plan(s, "m", Needs{}); err == nil {
			t.Fatal("want 503 while cooling")
		}
		s.Router.CooldownS = 0
		if got := mustPlan(t, r, s, "m", Needs{}); !slices.Equal(got, []string{"a"}) {
			t.Fatalf("plan = %v, want [a]", got)
		}
	})
}

func TestCooldownThresholdIsConsecutive(t *testing.T) {
	r := New(newClock().Now, 1)
	a := dep("a", "m", 0)
	cfg := cooldownCfg(3, 30)
	r.Failure(a, cfg, errUpstream)
	r.Failure(a, cfg, errUpstream)
	r.Success(a, time.Millisecond)
	for i := range 2 {
		if r.Failure(a, cfg, errUpstream) {
			t.Fatalf("failure %d after a success entered cooldown; the success broke the run", i+1)
		}
	}
	if !r.Failure(a, cfg, errUpstream) {
		t.Fatal("third consecutive failure did not enter cooldown")
	}
}

func TestBackoff(t *testing.T) {
	cfg := config.DefaultRouter() // base 500ms, max 10s
	ms := time.Millisecond
	tests := []struct {
		name       string
		base, max  int
		n          int
		retryAfter time.Duration
		lo, hi     time.Duration
	}{
		{"n=1", 500, 10000, 1, 0, 500 * ms, 600 * ms},
		{"n=2", 500, 10000, 2, 0, 1000 * ms, 1200 * ms},
		{"n=3", 500, 10000, 3, 0, 2000 * ms, 2400 * ms},
		{"n=4", 500, 10000, 4, 0, 4000 * ms, 4800 * ms},
		{"n=5", 500, 10000, 5, 0, 8000 * ms, 9600 * ms},
		{"n=6 capped", 500, 10000, 6, 0, 10000 * ms, 10000 * ms},
		{"n=60 capped", 500, 10000, 60, 0, 10000 * ms, 10000 * ms},
		{"n=0 is the first retry", 500, 10000, 0, 0, 500 * ms, 600 * ms},
		{"n<0 is the first retry", 500, 10000, -3, 0, 500 * ms, 600 * ms},
		{"cap between steps", 500, 3000, 3, 0, 2000 * ms, 2400 * ms},
		{"cap between steps, jitter capped", 500, 2100, 3, 0, 2000 * ms, 2100 * ms},
		{"retry-after below the back-off", 500, 10000, 3, time.Second, 2000 * ms, 2400 * ms},
		{"retry-after wins", 500, 10000, 1, 3 * time.Second, 3 * time.Second, 3 * time.Second},
		{"retry-after above the cap", 500, 10000, 1, time.Minute, 10 * time.Second, 10 * time.Second},
		{"zero base", 0, 0, 4, 0, 0, 0},
		{"zero base honours retry-after", 0, 5000, 4, 2 * time.Second, 2 * time.Second, 2 * time.Second},
		{"no cap: still doubles", 100, 0, 4, 0, 800 * ms, 960 * ms},
		{"no cap: huge n does not overflow", 100, 0, 200, 0, time.Hour, 1<<63 - 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			c.RetryBaseMS, c.RetryMaxMS = tc.base, tc.max
			seen := map[time.Duration]bool{}
			for seed := range uint64(300) {
				r := New(newClock().Now, seed)
				for range 5 {
					d := r.Backoff(c, tc.n, tc.retryAfter)
					if d < tc.lo || d > tc.hi {
						t.Fatalf("seed %d: Backoff = %v, want in [%v, %v]", seed, d, tc.lo, tc.hi)
					}
					seen[d] = true
				}
			}
			if tc.lo < tc.hi && tc.hi-tc.lo >= 100*ms && len(seen) < 50 {
				t.Errorf("only %d distinct waits over 1500 draws: jitter missing?", len(seen))
			}
		})
	}
}

func TestHealth(t *testing.T) {
	clk := newClock()
	r := New(clk.Now, 1)
	a := dep("a", "m", 0)
	cfg := cooldownCfg(2, 30)

	if h := r.Health("a"); h != (Health{Status: "unknown"}) {
		t.Fatalf("before any call: %+v", h)
	}
	r.Success(a, 120*time.Millisecond)
	if h := r.Health("a"); h.Status != "up" || h.LatencyMS != 120 || h.LastError != "" || !h.CooldownUntil.IsZero() {
		t.Fatalf("after success: %+v", h)
	}
	// A failure at the very same instant (coarse clocks) must still count as the latest event.
	r.Failure(a, cfg, errUpstream)
	h := r.Health("a")
	if h.Status != "down" || h.LastError != "boom" || !h.LastErrorAt.Equal(clk.Now()) || !h.CooldownUntil.IsZero() {
		t.Fatalf("after failure: %+v", h)
	}
	clk.Advance(time.Second)
	r.Failure(a, cfg, errors.New("dial tcp: connection refused"))
	h = r.Health("a")
	if h.Status != "down" || h.LastError != "upstream request failed" || !h.CooldownUntil.Equal(clk.Now().Add(30*time.Second)) {
		t.Fatalf("in cooldown: %+v", h)
	}
	if h.LatencyMS != 120 {
		t.Errorf("latency = %v, want 120 kept across failures", h.LatencyMS)
	}
	clk.Advance(30 * time.Second)
	if h := r.Health("a"); h.Status != "down" || !h.CooldownUntil.IsZero() {
		t.Fatalf("cooldown over, no verdict yet: %+v", h)
	}
	r.Success(a, 120*time.Millisecond)
	if h := r.Health("a"); h.Status != "up" || !h.CooldownUntil.IsZero() {
		t.Fatalf("after recovery: %+v", h)
	}
	if h := r.Health("b"); h.Status != "unknown" {
		t.Fatalf("other deployment: %+v", h)
	}
}

func TestHealthOutlivesSnapshots(t *testing.T) {
	clk := newClock()
	r := New(clk.Now, 1)
	s1 := snap(config.StrategySimple, nil, dep("a", "m", 0), dep("b", "m", 0))
	s1.Router = cooldownCfg(1, 30)
	r.Failure(s1.Aliases["m"].Deployments[0], s1.Router, errUpstream)
	// A rebuilt snapshot has new *Deployment values with the same ids.
	s2 := snap(config.StrategySimple, nil, dep("a", "m", 0), dep("b", "m", 0))
	s2.Router = s1.Router
	if got := mustPlan(t, r, s2, "m", Needs{}); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("plan = %v, want a still cooling", got)
	}
}

func TestRouterConcurrentUse(t *testing.T) {
	clk := newClock()
	r := New(clk.Now, 1)
	var deps []*snapshot.Deployment
	for i := range 6 {
		deps = append(deps, dep(fmt.Sprintf("d%d", i), "m", i%2, "w=2", "price=1/1"))
	}
	deps = append(deps, dep("f", "fb", 0))
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			s := snap(allStrategies[g%len(allStrategies)], map[string][]string{"m": {"fb"}}, deps...)
			s.Router.CooldownAfterFailures, s.Router.CooldownS = 2, 1
			for i := range 300 {
				p, err := r.Plan(s, "m", Needs{})
				if err == nil && len(p) > 0 {
					if i%3 == 0 {
						r.Failure(p[0], s.Router, errUpstream)
					} else {
						r.Success(p[0], time.Duration(i)*time.Millisecond)
					}
				}
				r.Backoff(s.Router, i%5, 0)
				r.Health(deps[i%len(deps)].ID)
				if i%50 == 0 {
					clk.Advance(time.Second)
				}
			}
		})
	}
	wg.Wait()
}
