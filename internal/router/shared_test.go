package router

import (
	"slices"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
)

// TestSharedCooldown: a deployment benched on one router is benched on another told of it,
// for as long, and back on both when it recovers on the first.
func TestSharedCooldown(t *testing.T) {
	clk := newClock()
	here, there := New(clk.Now, 1), New(clk.Now, 2)
	var told []Cooldown
	here.OnCooldown(func(c Cooldown) {
		told = append(told, c)
		there.Apply(c)
	})
	a, b := dep("a", "m", 0), dep("b", "m", 0)
	s := snap(config.StrategySimple, nil, a, b)
	s.Router = cooldownCfg(2, 30)
	here.Failure(a, s.Router, errUpstream)
	here.Failure(a, s.Router, errUpstream)
	here.Failure(a, s.Router, errUpstream) // already benched: not told again
	if len(told) != 1 || told[0].DeploymentID != "a" || !told[0].Until.Equal(clk.Now().Add(30*time.Second)) {
		t.Fatalf("told %+v, want a benched for 30s once", told)
	}
	if got := mustPlan(t, there, s, "m", Needs{}); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("other router's plan %v, want a benched", got)
	}
	if h := there.Health("a"); h.LastError == "" {
		t.Errorf("other router's health of a: %+v, want the error", h)
	}
	clk.Advance(31 * time.Second)
	here.Success(a, time.Millisecond) // the probe after cooldown succeeds
	if len(told) != 2 || !told[1].Until.IsZero() {
		t.Fatalf("told %+v, want a back", told)
	}
	there.Apply(Cooldown{DeploymentID: "b", Until: clk.Now().Add(time.Minute)})
	if got := mustPlan(t, there, s, "m", Needs{}); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("other router's plan %v, want a back and b benched", got)
	}
}
