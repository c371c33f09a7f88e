package backend

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/fakeopenai"
)

// sseClient reads /admin/events in the background.
type sseClient struct {
	mu     sync.Mutex
	events []map[string]string // id, event, data
	cancel context.CancelFunc
}

func (e *env) subscribe(t *testing.T) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.url+"/admin/events", nil)
	req.Header.Set("Authorization", "Bearer "+testMaster)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	c := &sseClient{cancel: cancel}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		cur := map[string]string{}
		for sc.Scan() {
			line := sc.Text()
			if line == "" {
				if cur["data"] != "" {
					c.mu.Lock()
					c.events = append(c.events, cur)
					c.mu.Unlock()
				}
				cur = map[string]string{}
				continue
			}
			if k, v, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, ":") {
				cur[k] = v
			}
		}
	}()
	t.Cleanup(cancel)
	return c
}

func (c *sseClient) of(kind string) []map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]string
	for _, ev := range c.events {
		if ev["event"] == kind {
			out = append(out, ev)
		}
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) notifications(typ string) []map[string]any {
	var out []map[string]any
	for _, n := range e.mustAdmin(200, "GET", "/admin/notifications?limit=1000", nil)["data"].([]any) {
		if m := n.(map[string]any); m["type"] == typ {
			out = append(out, m)
		}
	}
	return out
}

// TestBudgetAlertStoredLiveAndWebhook: crossing 80% of a key's budget through /v1 gives one
// stored notification, one live event and one webhook POST.
func TestBudgetAlertStoredLiveAndWebhook(t *testing.T) {
	e := newEnv(t)
	_, key := e.setup()
	var mu sync.Mutex
	var posts []map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		mu.Lock()
		posts = append(posts, m)
		mu.Unlock()
	}))
	defer hook.Close()
	e.mustAdmin(200, "PATCH", "/admin/settings", map[string]any{"notify_webhook_url": hook.URL, "budget_alert_percents": []int{80}})

	e.v1(key, "/v1/chat/completions", chat("gpt", nil))
	one := e.requestLogs(1)[0]["cost"].(float64)
	k := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "ci-bot", "max_budget": one / 0.85})
	live := e.subscribe(t)

	resp, out := e.v1(k["key"].(string), "/v1/chat/completions", chat("gpt", nil))
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, out)
	}
	waitFor(t, "the webhook POST", func() bool { mu.Lock(); defer mu.Unlock(); return len(posts) > 0 })
	waitFor(t, "the live event", func() bool { return len(live.of("notification")) > 0 })
	time.Sleep(300 * time.Millisecond) // room for duplicates to show up
	stored := e.notifications("budget")
	if len(stored) != 1 || stored[0]["key_id"] != k["id"] || !strings.Contains(stored[0]["title"].(string), "ci-bot") {
		t.Fatalf("stored budget notifications: %v", stored)
	}
	if n := live.of("notification"); len(n) != 1 || !strings.Contains(n[0]["data"], `"type":"budget"`) || n[0]["id"] == "" {
		t.Fatalf("live notification events: %v", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posts) != 1 || posts[0]["type"] != "budget" || posts[0]["key_id"] != k["id"] {
		t.Fatalf("webhook posts: %v", posts)
	}
	// The bell count and read-all.
	if m := e.mustAdmin(200, "GET", "/admin/notifications?unread=1", nil); m["unread"].(float64) < 1 {
		t.Fatalf("unread: %v", m["unread"])
	}
	e.mustAdmin(200, "POST", "/admin/notifications/"+stored[0]["id"].(string)+"/read", nil)
	e.mustAdmin(200, "POST", "/admin/notifications/read-all", nil)
	if m := e.mustAdmin(200, "GET", "/admin/notifications", nil); m["unread"].(float64) != 0 {
		t.Fatalf("unread after read-all: %v", m["unread"])
	}
	if status, _ := e.admin("POST", "/admin/notifications/ntf_nope/read", nil); status != 404 {
		t.Fatalf("unknown notification: %d", status)
	}
}

// TestProviderDownAndRecovered: a failing then recovering provider gives one "down" and one
// "recovered" notification.
func TestProviderDownAndRecovered(t *testing.T) {
	e := newEnv(t)
	_, key := e.setup()
	e.mustAdmin(200, "PUT", "/admin/router", map[string]any{"cooldown_s": 1, "max_retries": 0, "cooldown_after_failures": 5})
	e.fake.Set(fakeopenai.Script{FailStatus: 500, FailTimes: 3})
	for range 3 {
		if resp, _ := e.v1(key, "/v1/chat/completions", chat("gpt", nil)); resp.StatusCode != 502 {
			t.Fatalf("failing upstream: %d", resp.StatusCode)
		}
	}
	for range 3 {
		if resp, _ := e.v1(key, "/v1/chat/completions", chat("gpt", nil)); resp.StatusCode != 200 {
			t.Fatalf("recovered upstream: %d", resp.StatusCode)
		}
	}
	waitFor(t, "down and recovered notifications", func() bool { return len(e.notifications("provider_health")) >= 2 })
	time.Sleep(300 * time.Millisecond)
	got := e.notifications("provider_health") // newest first
	if len(got) != 2 || !strings.Contains(got[1]["title"].(string), "down") || !strings.Contains(got[0]["title"].(string), "recovered") {
		t.Fatalf("provider notifications: %v", got)
	}
}

func TestEventsResumeAfterLastEventID(t *testing.T) {
	e := newEnv(t)
	e.rt.Bus.Publish("request", map[string]string{"n": "1"})
	first := e.rt.Bus.LastID()
	e.rt.Bus.Publish("request", map[string]string{"n": "2"})
	e.rt.Bus.Publish("request", map[string]string{"n": "3"})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.url+"/admin/events", nil)
	req.Header.Set("Authorization", "Bearer "+testMaster)
	req.Header.Set("Last-Event-ID", jsonString(first))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var data []string
	for sc.Scan() && len(data) < 2 {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			data = append(data, d)
		}
	}
	if len(data) != 2 || data[0] != `{"n":"2"}` || data[1] != `{"n":"3"}` {
		t.Fatalf("resumed events: %v", data)
	}
}
