package backend

import (
	"encoding/json"
	"math"
	"testing"
)

// The response cache end to end: a key with cache_ttl_s gets a repeated request answered
// once upstream, on every API it covers, with the x-conduit-cache header; the hit is logged
// free with the cost it saved, and /admin/usage counts it.
func TestResponseCache(t *testing.T) {
	e := newEnv(t)
	_, plain := e.setup()
	k := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "cached", "cache_ttl_s": 60})
	if k["cache_ttl_s"] != float64(60) {
		t.Fatalf("key cache_ttl_s = %v", k["cache_ttl_s"])
	}
	key := k["key"].(string)
	stream := func(m map[string]any) map[string]any { m["stream"] = true; return m }
	for _, tc := range []struct {
		name, path string
		body       map[string]any
	}{
		{"chat", "/v1/chat/completions", chat("gpt", map[string]any{"temperature": 0})},
		{"chat stream", "/v1/chat/completions", stream(chat("gpt", map[string]any{"temperature": 0}))},
		{"messages", "/v1/messages", map[string]any{"model": "gpt", "max_tokens": 50, "temperature": 0,
			"messages": []any{map[string]any{"role": "user", "content": "Say hello"}}}},
		{"messages stream", "/v1/messages", stream(map[string]any{"model": "gpt", "max_tokens": 50, "temperature": 0,
			"messages": []any{map[string]any{"role": "user", "content": "Say hello"}}})},
		{"responses", "/v1/responses", map[string]any{"model": "gpt", "input": "Say hello", "temperature": 0}},
		{"responses stream", "/v1/responses", stream(map[string]any{"model": "gpt", "input": "Say hello", "temperature": 0})},
		{"embeddings", "/v1/embeddings", map[string]any{"model": "gpt", "input": "hello"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.fake.Served()
			r1, b1 := e.v1(key, tc.path, tc.body)
			r2, b2 := e.v1(key, tc.path, tc.body)
			if r1.StatusCode != 200 || r2.StatusCode != 200 {
				t.Fatalf("status %d %s / %d %s", r1.StatusCode, b1, r2.StatusCode, b2)
			}
			if got := e.fake.Served() - before; got != 1 {
				t.Errorf("%d upstream calls, want 1", got)
			}
			if h1, h2 := r1.Header.Get("X-Conduit-Cache"), r2.Header.Get("X-Conduit-Cache"); h1 != "miss" || h2 != "hit" {
				t.Errorf("x-conduit-cache %q then %q, want miss then hit", h1, h2)
			}
			if string(b1) != string(b2) {
				t.Errorf("the hit answered\n%s\nthe miss\n%s", b2, b1)
			}
			if r2.Header.Get("X-Conduit-Provider") != "fake" || r2.Header.Get("Content-Type") != r1.Header.Get("Content-Type") {
				t.Errorf("hit headers: %v", r2.Header)
			}
			// Another key (without a cache) is answered upstream, without the header.
			r3, _ := e.v1(plain, tc.path, tc.body)
			if r3.StatusCode != 200 || r3.Header.Get("X-Conduit-Cache") != "" || e.fake.Served()-before != 2 {
				t.Errorf("uncached key: status %d, header %q, upstream calls %d", r3.StatusCode,
					r3.Header.Get("X-Conduit-Cache"), e.fake.Served()-before)
			}
		})
	}

	// A Responses request continuing a stored response is never cached.
	_, b := e.v1(key, "/v1/responses", map[string]any{"model": "gpt", "input": "Say hello once", "temperature": 0})
	var first struct{ ID string }
	_ = json.Unmarshal(b, &first)
	next := map[string]any{"model": "gpt", "input": "And again", "temperature": 0, "previous_response_id": first.ID}
	for range 2 {
		if r, b := e.v1(key, "/v1/responses", next); r.StatusCode != 200 || r.Header.Get("X-Conduit-Cache") != "bypass" {
			t.Errorf("previous_response_id: status %d, cache %q: %s", r.StatusCode, r.Header.Get("X-Conduit-Cache"), b)
		}
	}

	const requests = 7*3 + 3 // each case's three, the Responses turn and its two follow-ups
	rows := e.requestLogs(requests)
	var hits int
	var saved float64
	for _, r := range rows {
		if r["cache_hit"] == true {
			hits++
			saved += r["saved"].(float64)
			if r["cost"].(float64) != 0 {
				t.Errorf("a hit cost %v", r["cost"])
			}
		}
	}
	if hits != 7 || !(saved > 0) {
		t.Errorf("%d hits saving %v in the logs, want 7 saving something", hits, saved)
	}
	var usage []map[string]any
	raw, _ := json.Marshal(e.mustAdmin(200, "GET", "/admin/usage?group_by=key", nil)["data"])
	_ = json.Unmarshal(raw, &usage)
	for _, u := range usage {
		if u["key"] == k["id"] {
			if u["cache_hits"] != float64(7) || math.Abs(u["saved"].(float64)-saved) > 1e-12 ||
				u["hit_rate"] != 7.0/17 {
				t.Errorf("usage of the cached key: %v", u)
			}
			return
		}
	}
	t.Errorf("usage by key lacks the cached key: %s", raw)
}

// A model row's cache fields are part of the admin API.
func TestModelCacheFields(t *testing.T) {
	e := newEnv(t)
	pid, _ := e.setup()
	m := e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "c", "provider_id": pid,
		"provider_model": "gpt-4o-mini", "cache_ttl_s": 300, "cache_shared": true, "cache_nondeterministic": true})
	if m["cache_ttl_s"] != float64(300) || m["cache_shared"] != true || m["cache_nondeterministic"] != true {
		t.Errorf("created: %v", m)
	}
	m = e.mustAdmin(200, "PATCH", "/admin/models/"+m["id"].(string), map[string]any{"cache_ttl_s": nil})
	if m["cache_ttl_s"] != nil {
		t.Errorf("cache_ttl_s not cleared: %v", m["cache_ttl_s"])
	}
	for _, bad := range []any{0, -5, "60", 1e12} {
		if status, _ := e.admin("POST", "/admin/models", map[string]any{"alias": "c", "provider_id": pid,
			"provider_model": "m", "cache_ttl_s": bad}); status != 400 {
			t.Errorf("cache_ttl_s %v: %d, want 400", bad, status)
		}
	}
}
