package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
)

// recordingSleep records the backoff waits without waiting.
type recordingSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (r *recordingSleep) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits = append(r.waits, d)
	return ctx.Err()
}

func (r *recordingSleep) get() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.waits...)
}

func TestWebhookRetriesThenSucceeds(t *testing.T) {
	var (
		mu     sync.Mutex
		bodies [][]byte
		ctypes []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		bodies = append(bodies, b)
		ctypes = append(ctypes, r.Method+" "+r.Header.Get("Content-Type"))
		if len(bodies) <= 2 {
			http.Error(w, "try later", http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	rs := &recordingSleep{}
	e := newEnv(t, func(o *Options) { o.Sleep = rs.sleep })
	e.settings.update(func(s *config.Settings) { s.NotifyWebhookURL = srv.URL + "/hook?token=s3cret" })
	n := e.svc.Notify(Notification{Type: TypeBudget, Severity: SeverityWarning,
		Title: `Key "ci" reached 80% of its budget`, Body: "b", KeyID: "key_1",
		Dedupe: "budget:key_1:total:10:80"})
	e.close(t) // waits for the delivery

	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 3 {
		t.Fatalf("%d attempts, want 3", len(bodies))
	}
	for i, b := range bodies {
		var got Notification
		if err := json.Unmarshal(b, &got); err != nil || got != n {
			t.Fatalf("attempt %d payload %s (%v), want %+v", i, b, err, n)
		}
		if ctypes[i] != "POST application/json" {
			t.Fatalf("attempt %d: %s", i, ctypes[i])
		}
	}
	var raw map[string]any
	_ = json.Unmarshal(bodies[0], &raw)
	for _, k := range []string{"id", "time", "type", "severity", "title", "body", "key_id", "read", "dedupe"} {
		if _, ok := raw[k]; !ok {
			t.Fatalf("payload lacks %q: %s", k, bodies[0])
		}
	}
	if w := rs.get(); len(w) != 2 || w[0] != 500*time.Millisecond || w[1] != time.Second {
		t.Fatalf("backoff = %v, want [500ms 1s]", w)
	}
	if e.logs.count("webhook delivery failed") != 0 {
		t.Fatalf("log = %s", e.logs)
	}
}

func TestWebhookGivesUp(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		attempts int
	}{
		{"server error is retried", http.StatusInternalServerError, 3},
		{"rate limit is retried", http.StatusTooManyRequests, 3},
		{"client error is final", http.StatusNotFound, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			hits := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				mu.Lock()
				hits++
				mu.Unlock()
				w.WriteHeader(tc.status)
			}))
			defer srv.Close()
			e := newEnv(t, nil)
			e.settings.update(func(s *config.Settings) { s.NotifyWebhookURL = srv.URL + "/secret-path" })
			e.svc.Notify(Notification{Title: "x"})
			e.close(t)
			mu.Lock()
			defer mu.Unlock()
			if hits != tc.attempts {
				t.Fatalf("%d attempts, want %d", hits, tc.attempts)
			}
			if e.logs.count("webhook delivery failed") != 1 {
				t.Fatalf("log = %s", e.logs)
			}
			if e.logs.count("secret-path") != 0 {
				t.Fatalf("webhook path logged: %s", e.logs)
			}
		})
	}
}

func TestWebhookTimeout(t *testing.T) {
	var mu sync.Mutex
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // lets the server notice the client hanging up
		mu.Lock()
		hits++
		mu.Unlock()
		select { // hang until the client gives up
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer srv.Close()
	e := newEnv(t, func(o *Options) { o.WebhookTimeout = 50 * time.Millisecond })
	e.settings.update(func(s *config.Settings) { s.NotifyWebhookURL = srv.URL + "/?token=s3cret" })
	start := time.Now()
	e.svc.Notify(Notification{Title: "x"})
	e.close(t)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("3 timed-out attempts took %v", d)
	}
	mu.Lock()
	defer mu.Unlock()
	if hits != 3 {
		t.Fatalf("%d attempts, want 3", hits)
	}
	if e.logs.count("webhook delivery failed") != 1 || e.logs.count("deadline exceeded") != 1 ||
		e.logs.count("s3cret") != 0 {
		t.Fatalf("log = %s", e.logs)
	}
}

func TestSlowWebhookNeverDelaysNotify(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // lets the server notice the client hanging up
		mu.Lock()
		hits++
		mu.Unlock()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	e := newEnv(t, func(o *Options) { o.WebhookQueue = 4 })
	e.settings.update(func(s *config.Settings) { s.NotifyWebhookURL = srv.URL })
	_, live, cancel := e.bus.Subscribe(e.bus.LastID())
	defer cancel()

	start := time.Now()
	for i := range 100 {
		e.svc.Notify(Notification{Title: "n", Body: string(rune('a' + i%26))})
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("100 Notify with a hanging webhook took %v", d)
	}
	for range 100 { // the bus got every one at once
		select {
		case <-live:
		case <-time.After(time.Second):
			t.Fatal("bus event missing")
		}
	}
	if e.logs.count("webhook queue full") < 100-4-1 {
		t.Fatalf("drops logged %d times", e.logs.count("webhook queue full"))
	}
	close(release)
	e.close(t)
	if len(e.store.stored()) != 100 {
		t.Fatalf("stored %d", len(e.store.stored()))
	}
	mu.Lock()
	defer mu.Unlock()
	if hits < 1 || hits > 5 {
		t.Fatalf("%d webhook posts, want the in-flight one plus at most the 4 queued", hits)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.example.com/services/T0/B0/XYZ?x=1": "https://hooks.example.com",
		"not a url": "(invalid url)",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
