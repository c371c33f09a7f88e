package router

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/fakeclock"
	"github.com/conduit-gw/conduit/internal/fakeopenai"
	"github.com/conduit-gw/conduit/internal/providers"
	"github.com/conduit-gw/conduit/internal/providers/openai"
	"github.com/conduit-gw/conduit/internal/snapshot"
)

type fixedSnapshot struct{ s *snapshot.Snapshot }

func (f fixedSnapshot) Load() *snapshot.Snapshot { return f.s }

func healthSnapshot(t *testing.T, baseURL string) *snapshot.Snapshot {
	t.Helper()
	reg := providers.NewRegistry()
	openai.Register(reg)
	ad, err := reg.New(providers.Config{Type: "openai_compatible", BaseURL: baseURL, Client: http.DefaultClient})
	if err != nil {
		t.Fatal(err)
	}
	p := &snapshot.Provider{Provider: config.Provider{ID: "p1", Name: "local", Type: "openai_compatible", Enabled: true},
		Adapter: ad, Timeout: 5 * time.Second}
	d1 := &snapshot.Deployment{Deployment: config.Deployment{ID: "d1", Alias: "a", ProviderID: "p1", Enabled: true}, Provider: p}
	d2 := &snapshot.Deployment{Deployment: config.Deployment{ID: "d2", Alias: "b", ProviderID: "p1", Enabled: true}, Provider: p}
	rc := config.DefaultRouter()
	return &snapshot.Snapshot{
		Providers: map[string]*snapshot.Provider{"p1": p},
		Aliases: map[string]*snapshot.Alias{
			"a": {Name: "a", Deployments: []*snapshot.Deployment{d1}},
			"b": {Name: "b", Deployments: []*snapshot.Deployment{d2}},
		},
		Router: rc,
	}
}

func TestHealthCheckTransitions(t *testing.T) {
	fake := fakeopenai.New("")
	srv := httptest.NewServer(fake)
	defer srv.Close()
	s := healthSnapshot(t, srv.URL+"/v1")
	clk := fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	r := New(clk.Now, 1)
	var mu sync.Mutex
	var changes []HealthChange
	r.OnHealthChange(func(c HealthChange) { mu.Lock(); changes = append(changes, c); mu.Unlock() })
	c := &Checker{Router: r, Config: fixedSnapshot{s}}
	ctx := context.Background()

	c.CheckAll(ctx, s)
	if h := r.Health("d1"); h.Status != "up" || len(changes) != 0 {
		t.Fatalf("healthy at start: %+v, changes %v", h, changes)
	}
	fake.Set(fakeopenai.Script{FailStatus: 503, FailTimes: 1})
	c.CheckAll(ctx, s)
	for _, id := range []string{"d1", "d2"} {
		if h := r.Health(id); h.Status != "down" || h.LastError == "" || h.CooldownUntil.IsZero() {
			t.Fatalf("%s after a failed check: %+v", id, h)
		}
	}
	if _, err := r.Plan(s, "a", Needs{}); err == nil {
		t.Fatal("a deployment down by health check is still planned")
	}
	c.CheckAll(ctx, s)
	for _, id := range []string{"d1", "d2"} {
		if h := r.Health(id); h.Status != "up" || !h.CooldownUntil.IsZero() {
			t.Fatalf("%s after recovery: %+v", id, h)
		}
	}
	if plan, err := r.Plan(s, "a", Needs{}); err != nil || len(plan) != 1 {
		t.Fatalf("recovered deployment not planned: %v %v", plan, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(changes) != 4 { // two deployments down, two up
		t.Fatalf("changes: %+v", changes)
	}
	for i, c := range changes {
		if c.ProviderID != "p1" || c.ProviderName != "local" || c.Up != (i >= 2) {
			t.Fatalf("change %d: %+v", i, c)
		}
	}
}

func TestCheckerHonoursIntervalChanges(t *testing.T) {
	fake := fakeopenai.New("")
	srv := httptest.NewServer(fake)
	defer srv.Close()
	s := healthSnapshot(t, srv.URL+"/v1")
	s.Router.HealthCheckIntervalS = 0 // off
	holder := &swapSnapshot{}
	holder.set(s)
	r := New(nil, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { (&Checker{Router: r, Config: holder, Tick: time.Millisecond}).Run(ctx); close(done) }()
	time.Sleep(20 * time.Millisecond)
	if n := fake.Served(); n != 0 {
		t.Fatalf("checks ran with the interval at 0: %d", n)
	}
	on := *s
	on.Router.HealthCheckIntervalS = 1
	holder.set(&on)
	deadline := time.Now().Add(5 * time.Second)
	for fake.Served() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no check after the interval was turned on")
		}
		time.Sleep(2 * time.Millisecond)
	}
	cancel()
	<-done
}

type swapSnapshot struct {
	mu sync.Mutex
	s  *snapshot.Snapshot
}

func (h *swapSnapshot) set(s *snapshot.Snapshot) { h.mu.Lock(); h.s = s; h.mu.Unlock() }
func (h *swapSnapshot) Load() *snapshot.Snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.s
}

// TestHealthCheckUpstreamWithoutModelList: a local server that serves chat but not GET
// /models (404) is reachable, so its deployments stay in rotation.
func TestHealthCheckUpstreamWithoutModelList(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/v1/chat/completions", fakeopenai.New(""))
	srv := httptest.NewServer(mux) // GET /v1/models: 404
	defer srv.Close()
	s := healthSnapshot(t, srv.URL+"/v1")
	r := New(fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).Now, 1)
	(&Checker{Router: r, Config: fixedSnapshot{s}}).CheckAll(context.Background(), s)
	if h := r.Health("d1"); h.Status != "up" || h.LastError != "" {
		t.Fatalf("an upstream without a models list after a check: %+v", h)
	}
	if plan, err := r.Plan(s, "a", Needs{}); err != nil || len(plan) != 1 {
		t.Fatalf("not planned: %v %v", plan, err)
	}
}
