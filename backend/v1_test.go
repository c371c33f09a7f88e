package backend

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/fakeopenai"
	"github.com/conduit-gw/conduit/internal/limits"
)

func TestChatNonStream(t *testing.T) {
	e := newEnv(t)
	_, key := e.setup()
	body := chat("gpt", map[string]any{"temperature": 0.2, "seed": 7, "n": 1, "stop": []string{"END"},
		"response_format": map[string]any{"type": "json_object"}, "x_vendor_knob": map[string]any{"a": 1}})
	resp, out := e.v1(key, "/v1/chat/completions", body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, out)
	}
	var got struct {
		Object  string `json:"object"`
		Model   string `json:"model"`
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage struct {
			PromptTokens, CompletionTokens, TotalTokens int
		} `json:"usage"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.Object != "chat.completion" || got.Model != "gpt" || got.Choices[0].Message.Content != e.fake.Reply ||
		got.Choices[0].FinishReason != "stop" {
		t.Fatalf("unexpected answer: %s", out)
	}
	for _, h := range []string{"x-request-id", "x-conduit-provider", "x-conduit-overhead-ms"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
	if p := resp.Header.Get("x-conduit-provider"); p != "fake" {
		t.Errorf("x-conduit-provider = %q", p)
	}
	if v, err := strconv.ParseFloat(resp.Header.Get("x-conduit-overhead-ms"), 64); err != nil || v < 0 {
		t.Errorf("x-conduit-overhead-ms = %q", resp.Header.Get("x-conduit-overhead-ms"))
	}
	// The upstream got the client's body with only the model rewritten, and Conduit's key.
	reqs := e.fake.Requests()
	up := reqs[len(reqs)-1]
	if up.Header.Get("Authorization") != "Bearer "+testProviderKey {
		t.Errorf("upstream auth = %q", up.Header.Get("Authorization"))
	}
	if up.Body["model"] != "gpt-4o-mini" {
		t.Errorf("upstream model = %v", up.Body["model"])
	}
	for _, f := range []string{"temperature", "seed", "n", "stop", "response_format", "x_vendor_knob"} {
		if _, ok := up.Body[f]; !ok {
			t.Errorf("field %s not passed through: %s", f, up.Raw)
		}
	}
	rows := e.requestLogs(1)
	r := rows[0]
	if r["alias"] != "gpt" || r["status"] != float64(200) || r["prompt_tokens"].(float64) <= 0 ||
		r["completion_tokens"].(float64) != 5 || r["attempts"] != float64(1) || r["stream"] != false {
		t.Fatalf("log row: %v", r)
	}
	if r["cost"].(float64) <= 0 { // gpt-4o-mini has a shipped price
		t.Errorf("cost = %v, want > 0", r["cost"])
	}
}

func TestChatStream(t *testing.T) {
	e := newEnv(t)
	_, key := e.setup()
	tests := []struct {
		name         string
		includeUsage bool
	}{{"with usage", true}, {"without usage", false}}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			extra := map[string]any{"stream": true}
			if tt.includeUsage {
				extra["stream_options"] = map[string]any{"include_usage": true}
			}
			resp, out := e.v1(key, "/v1/chat/completions", chat("gpt", extra))
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
				t.Fatalf("status %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), out)
			}
			events := sseEvents(out)
			if events[len(events)-1] != "[DONE]" {
				t.Fatalf("last event %q, want [DONE]", events[len(events)-1])
			}
			var text strings.Builder
			usageSeen := false
			for _, ev := range events[:len(events)-1] {
				var c struct {
					Model   string `json:"model"`
					Choices []struct {
						Delta struct {
							Content string `json:"content"`
						} `json:"delta"`
					} `json:"choices"`
					Usage *struct {
						TotalTokens int `json:"total_tokens"`
					} `json:"usage"`
				}
				if err := json.Unmarshal([]byte(ev), &c); err != nil {
					t.Fatalf("bad chunk %q: %v", ev, err)
				}
				if c.Model != "gpt" {
					t.Errorf("chunk model %q, want alias", c.Model)
				}
				for _, ch := range c.Choices {
					text.WriteString(ch.Delta.Content)
				}
				if c.Usage != nil {
					usageSeen = true
				}
			}
			if text.String() != e.fake.Reply {
				t.Errorf("streamed text %q, want %q (chunks in order)", text.String(), e.fake.Reply)
			}
			if usageSeen != tt.includeUsage {
				t.Errorf("usage chunk seen = %v, want %v", usageSeen, tt.includeUsage)
			}
			// Conduit always asks the upstream for usage so spend is exact.
			reqs := e.fake.Requests()
			so, _ := reqs[len(reqs)-1].Body["stream_options"].(map[string]any)
			if so["include_usage"] != true {
				t.Errorf("upstream stream_options = %v", so)
			}
			rows := e.requestLogs(i + 1)
			if rows[0]["stream"] != true || rows[0]["completion_tokens"].(float64) != 5 || rows[0]["estimated"] == true {
				t.Errorf("log row: %v", rows[0])
			}
		})
	}
}

func TestToolsAndVisionPassThrough(t *testing.T) {
	e := newEnv(t)
	_, key := e.setup()
	tools := []any{map[string]any{"type": "function", "function": map[string]any{
		"name": "get_weather", "parameters": map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}}}}}
	resp, out := e.v1(key, "/v1/chat/completions", chat("gpt", map[string]any{"tools": tools, "tool_choice": "auto"}))
	if resp.StatusCode != 200 || !strings.Contains(string(out), `"tool_calls"`) || !strings.Contains(string(out), `"finish_reason":"tool_calls"`) {
		t.Fatalf("tools: %d %s", resp.StatusCode, out)
	}
	// Streamed tool-call deltas arrive intact.
	resp, out = e.v1(key, "/v1/chat/completions", chat("gpt", map[string]any{"tools": tools, "stream": true}))
	args := ""
	for _, ev := range sseEvents(out) {
		if ev == "[DONE]" {
			continue
		}
		var c struct {
			Choices []struct {
				Delta struct {
					ToolCalls []struct {
						Function struct {
							Arguments string `json:"arguments"`
						} `json:"function"`
					} `json:"tool_calls"`
				} `json:"delta"`
			} `json:"choices"`
		}
		_ = json.Unmarshal([]byte(ev), &c)
		for _, ch := range c.Choices {
			for _, tc := range ch.Delta.ToolCalls {
				args += tc.Function.Arguments
			}
		}
	}
	if resp.StatusCode != 200 || args != `{"city":"Paris"}` {
		t.Fatalf("streamed tool arguments %q", args)
	}

	messages := []any{map[string]any{"role": "user", "content": []any{
		map[string]any{"type": "text", "text": "What is in this image?"},
		map[string]any{"type": "image_url", "image_url": map[string]any{"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
		map[string]any{"type": "image_url", "image_url": map[string]any{"url": "https://example.com/cat.png"}},
	}}}
	resp, out = e.v1(key, "/v1/chat/completions", map[string]any{"model": "gpt", "messages": messages})
	if resp.StatusCode != 200 {
		t.Fatalf("vision: %d %s", resp.StatusCode, out)
	}
	reqs := e.fake.Requests()
	sent, _ := json.Marshal(messages)
	got, _ := json.Marshal(reqs[len(reqs)-1].Body["messages"])
	if string(sent) != string(got) {
		t.Fatalf("vision parts changed:\n sent %s\n got  %s", sent, got)
	}
}

func TestEmbeddingsPassThrough(t *testing.T) {
	e := newEnv(t)
	_, key := e.setup()
	for _, format := range []string{"float", "base64"} {
		resp, out := e.v1(key, "/v1/embeddings", map[string]any{"model": "gpt", "input": []string{"a", "bb"}, "encoding_format": format})
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", format, resp.StatusCode, out)
		}
		var got struct {
			Model string `json:"model"`
			Data  []struct {
				Embedding json.RawMessage `json:"embedding"`
			} `json:"data"`
		}
		if err := json.Unmarshal(out, &got); err != nil || len(got.Data) != 2 || got.Model != "gpt" {
			t.Fatalf("%s: %s", format, out)
		}
		isString := got.Data[0].Embedding[0] == '"'
		if isString != (format == "base64") {
			t.Errorf("%s: embedding %s", format, got.Data[0].Embedding)
		}
	}
	resp, out := e.v1(key, "/v1/embeddings", map[string]any{"model": "gpt", "input": "one string"})
	if resp.StatusCode != 200 {
		t.Fatalf("string input: %d %s", resp.StatusCode, out)
	}
}

func TestModelsListsOnlyAllowedAliases(t *testing.T) {
	e := newEnv(t)
	pid, _ := e.setup()
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "claude-x", "provider_id": pid, "provider_model": "m"})
	k := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"allowed_models": []string{"gp*"}})
	resp, out := e.v1(k["key"].(string), "/v1/models", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, out)
	}
	var got struct {
		Object string `json:"object"`
		Data   []struct {
			ID     string `json:"id"`
			Object string `json:"object"`
		} `json:"data"`
	}
	_ = json.Unmarshal(out, &got)
	if got.Object != "list" || len(got.Data) != 1 || got.Data[0].ID != "gpt" || got.Data[0].Object != "model" {
		t.Fatalf("models: %s", out)
	}
	_, out = e.v1(testMaster, "/v1/models", nil)
	if !strings.Contains(string(out), "claude-x") {
		t.Fatalf("master key should see every alias: %s", out)
	}
}

func TestClientErrors(t *testing.T) {
	e := newEnv(t)
	pid, key := e.setup()
	disabled := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "off", "enabled": false})["key"].(string)
	expiring := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "soon",
		"expires_at": time.Now().Add(1500 * time.Millisecond).UTC().Format(time.RFC3339Nano)})
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "other", "provider_id": pid, "provider_model": "x"})
	restricted := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"allowed_models": []string{"other"}})["key"].(string)
	revoked := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "gone"})
	e.mustAdmin(204, "DELETE", "/admin/keys/"+revoked["id"].(string), nil)
	// Wait until the expiring key has expired.
	exp, _ := time.Parse(time.RFC3339Nano, expiring["expires_at"].(string))
	time.Sleep(time.Until(exp) + 50*time.Millisecond)

	big := `{"model":"gpt","messages":[{"role":"user","content":"` + strings.Repeat("x", 33<<20) + `"}]}`
	tests := []struct {
		name   string
		header map[string]string
		body   any
		status int
		code   string
	}{
		{"missing key", nil, chat("gpt", nil), 401, "invalid_api_key"},
		{"unknown key", map[string]string{"Authorization": "Bearer condt_nope"}, chat("gpt", nil), 401, "invalid_api_key"},
		{"revoked key", map[string]string{"Authorization": "Bearer " + revoked["key"].(string)}, chat("gpt", nil), 401, "invalid_api_key"},
		{"disabled key", map[string]string{"Authorization": "Bearer " + disabled}, chat("gpt", nil), 401, "key_disabled"},
		{"expired key", map[string]string{"Authorization": "Bearer " + expiring["key"].(string)}, chat("gpt", nil), 401, "key_expired"},
		{"model not allowed", map[string]string{"Authorization": "Bearer " + restricted}, chat("gpt", nil), 403, "model_not_allowed"},
		{"unknown model", map[string]string{"x-api-key": key}, chat("nope", nil), 404, "model_not_found"},
		{"malformed json", map[string]string{"api-key": key}, `{"model":`, 400, "invalid_request"},
		{"missing messages", map[string]string{"api-key": key}, map[string]any{"model": "gpt"}, 400, "invalid_request"},
		{"wrong type", map[string]string{"api-key": key}, map[string]any{"model": "gpt", "messages": "hi"}, 400, "invalid_request"},
		{"bad role", map[string]string{"api-key": key}, map[string]any{"model": "gpt", "messages": []any{map[string]any{"role": "robot", "content": "x"}}}, 400, "invalid_request"},
		{"body too large", map[string]string{"api-key": key}, big, 413, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.fake.Served()
			resp, out := e.do("POST", "/v1/chat/completions", tt.body, tt.header)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, out)
			}
			if code := errorCode(t, out); code != tt.code {
				t.Fatalf("code %q, want %q", code, tt.code)
			}
			if resp.Header.Get("x-request-id") == "" {
				t.Error("no x-request-id")
			}
			if e.fake.Served() != before {
				t.Error("a refused request reached the upstream")
			}
		})
	}
}

func TestUpstreamErrors(t *testing.T) {
	e := newEnv(t)
	_, key := e.setup()
	e.mustAdmin(200, "PUT", "/admin/router", map[string]any{"cooldown_after_failures": 0})
	tests := []struct {
		name   string
		script fakeopenai.Script
		stream bool
		status int
		code   string
	}{
		{"upstream 400 is the client's", fakeopenai.Script{FailStatus: 400, FailTimes: 1}, false, 400, "invalid_request"},
		{"upstream 500 on every try", fakeopenai.Script{FailStatus: 500, FailTimes: 100}, false, 502, "upstream_error"},
		{"upstream 401 is ours", fakeopenai.Script{FailStatus: 401, FailTimes: 1}, false, 502, "upstream_error"},
		{"upstream 429 on every try", fakeopenai.Script{FailStatus: 429, FailTimes: 100}, true, 502, "upstream_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.fake.Set(tt.script)
			defer e.fake.Set(fakeopenai.Script{})
			resp, out := e.v1(key, "/v1/chat/completions", chat("gpt", map[string]any{"stream": tt.stream}))
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, out)
			}
			if code := errorCode(t, out); code != tt.code {
				t.Fatalf("code %q, want %q", code, tt.code)
			}
		})
	}
	t.Run("timeout", func(t *testing.T) {
		_, m := e.admin("GET", "/admin/providers", nil)
		id := m["data"].([]any)[0].(map[string]any)["id"].(string)
		e.mustAdmin(200, "PATCH", "/admin/providers/"+id, map[string]any{"timeout_ms": 50})
		e.mustAdmin(200, "PUT", "/admin/router", map[string]any{"max_retries": 0})
		e.fake.Set(fakeopenai.Script{Latency: 2 * time.Second})
		defer e.fake.Set(fakeopenai.Script{})
		resp, out := e.v1(key, "/v1/chat/completions", chat("gpt", nil))
		if resp.StatusCode != 504 || errorCode(t, out) != "upstream_timeout" {
			t.Fatalf("%d %s", resp.StatusCode, out)
		}
	})
}

func TestStreamCutIsAnErrorNotDone(t *testing.T) {
	e := newEnv(t)
	_, key := e.setup()
	for _, sc := range []fakeopenai.Script{{CutAfter: 2}, {ErrorEventAfter: 2}} {
		e.fake.Set(sc)
		resp, out := e.v1(key, "/v1/chat/completions", chat("gpt", map[string]any{"stream": true}))
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		events := sseEvents(out)
		last := events[len(events)-1]
		if last == "[DONE]" || !strings.Contains(last, `"error"`) {
			t.Fatalf("script %+v: last event %q; want an error event and no [DONE]", sc, last)
		}
		if strings.Contains(string(out), "[DONE]") {
			t.Fatalf("[DONE] sent on a broken stream")
		}
	}
	rows := e.requestLogs(2)
	for _, r := range rows {
		if r["status"].(float64) < 500 || r["error_code"] != "upstream_error" {
			t.Errorf("broken stream logged as %v", r)
		}
	}
}

func TestHotReload(t *testing.T) {
	e := newEnv(t)
	pid, key := e.setup()
	_, m := e.admin("GET", "/admin/models", nil)
	dep := m["data"].([]any)[0].(map[string]any)["id"].(string)

	e.mustAdmin(200, "PATCH", "/admin/models/"+dep, map[string]any{"provider_model": "gpt-4.1-mini"})
	if resp, out := e.v1(key, "/v1/chat/completions", chat("gpt", nil)); resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, out)
	}
	reqs := e.fake.Requests()
	if got := reqs[len(reqs)-1].Body["model"]; got != "gpt-4.1-mini" {
		t.Fatalf("upstream model after PATCH = %v", got)
	}
	// A new alias works at once; a disabled provider takes its aliases away at once.
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "fresh", "provider_id": pid, "provider_model": "m"})
	if resp, out := e.v1(key, "/v1/chat/completions", chat("fresh", nil)); resp.StatusCode != 200 {
		t.Fatalf("new alias: %d %s", resp.StatusCode, out)
	}
	e.mustAdmin(200, "PATCH", "/admin/providers/"+pid, map[string]any{"enabled": false})
	if resp, out := e.v1(key, "/v1/chat/completions", chat("gpt", nil)); resp.StatusCode != 404 {
		t.Fatalf("disabled provider: %d %s", resp.StatusCode, out)
	}
	// Key changes too.
	_, km := e.admin("GET", "/admin/keys", nil)
	kid := km["data"].([]any)[0].(map[string]any)["id"].(string)
	e.mustAdmin(200, "PATCH", "/admin/keys/"+kid, map[string]any{"enabled": false})
	if resp, out := e.v1(key, "/v1/models", nil); resp.StatusCode != 401 || errorCode(t, out) != "key_disabled" {
		t.Fatalf("disabled key: %d %s", resp.StatusCode, out)
	}
}

func TestHealthReady(t *testing.T) {
	e := newEnv(t)
	resp, out := e.do("GET", "/health", nil, nil)
	if resp.StatusCode != 200 || strings.TrimSpace(string(out)) != `{"status":"ok"}` {
		t.Fatalf("health: %d %s", resp.StatusCode, out)
	}
	if resp, _ := e.do("GET", "/ready", nil, nil); resp.StatusCode != 200 {
		t.Fatalf("ready: %d", resp.StatusCode)
	}
	if resp, _ := e.do("GET", "/metrics", nil, nil); resp.StatusCode != 401 {
		t.Fatalf("metrics without key: %d", resp.StatusCode)
	}
	resp, out = e.do("GET", "/metrics", nil, map[string]string{"Authorization": "Bearer " + testMaster})
	if resp.StatusCode != 200 || !strings.Contains(string(out), "conduit_usage_queue_depth") {
		t.Fatalf("metrics: %d %.200s", resp.StatusCode, out)
	}
	e.rt.DB.Close()
	if resp, _ := e.do("GET", "/ready", nil, nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("ready with the DB closed: %d", resp.StatusCode)
	}
}

type refuseAll struct{}

func (refuseAll) Acquire(context.Context) (func(), error) { return nil, errors.New("full") }

func TestOverloadShedsWithFast503(t *testing.T) {
	e := newEnv(t)
	_, key := e.setup()
	e.srv.o.Admission = refuseAll{}
	resp, out := e.v1(key, "/v1/chat/completions", chat("gpt", nil))
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "1" || errorCode(t, out) != "server_overloaded" {
		t.Fatalf("%d %v %s", resp.StatusCode, resp.Header, out)
	}
	if e.fake.Served() != 0 {
		t.Fatal("a shed request reached the upstream")
	}
}

func TestStreamTimeouts(t *testing.T) {
	e := newEnv(t)
	_, key := e.setup()
	e.mustAdmin(200, "PUT", "/admin/router", map[string]any{"max_retries": 0, "first_token_timeout_ms": 100, "stream_idle_timeout_ms": 100})

	// No first byte in time: a 504 before anything was sent (so the router could fail over).
	e.fake.Set(fakeopenai.Script{Latency: time.Second})
	resp, out := e.v1(key, "/v1/chat/completions", chat("gpt", map[string]any{"stream": true}))
	if resp.StatusCode != 504 || errorCode(t, out) != "upstream_timeout" {
		t.Fatalf("ttfb: %d %s", resp.StatusCode, out)
	}
	// Quiet mid-stream: an error event, never [DONE].
	e.fake.Set(fakeopenai.Script{StallAfter: 2, StallFor: 2 * time.Second})
	resp, out = e.v1(key, "/v1/chat/completions", chat("gpt", map[string]any{"stream": true}))
	events := sseEvents(out)
	if resp.StatusCode != 200 || strings.Contains(string(out), "[DONE]") || !strings.Contains(events[len(events)-1], "stalled") {
		t.Fatalf("idle: %d %s", resp.StatusCode, out)
	}
	rows := e.requestLogs(2)
	if rows[0]["error_code"] != "upstream_timeout" || rows[1]["error_code"] != "upstream_timeout" {
		t.Fatalf("logged as %v / %v", rows[0]["error_code"], rows[1]["error_code"])
	}
	// A model row's own limits win over the router's.
	dep := e.mustAdmin(200, "GET", "/admin/models", nil)["data"].([]any)[0].(map[string]any)
	e.mustAdmin(200, "PATCH", "/admin/models/"+dep["id"].(string), map[string]any{"first_token_timeout_ms": 10000, "stream_idle_timeout_ms": 10000})
	e.fake.Set(fakeopenai.Script{Latency: 300 * time.Millisecond, StallAfter: 2, StallFor: 300 * time.Millisecond})
	resp, out = e.v1(key, "/v1/chat/completions", chat("gpt", map[string]any{"stream": true}))
	if resp.StatusCode != 200 || !strings.Contains(string(out), "[DONE]") {
		t.Fatalf("with the row's longer limits: %d %s", resp.StatusCode, out)
	}
}

// Header names set straight into the map must be canonical, or Get would not find them.
func TestHeaderNamesCanonical(t *testing.T) {
	for _, k := range []string{hdrRequestID, hdrProvider, hdrOverhead} {
		if c := http.CanonicalHeaderKey(k); c != k {
			t.Errorf("%q is not canonical (%q)", k, c)
		}
	}
	h := http.Header{}
	hv := newHeaderValues(h, 0)
	hv.rateLimit(limits.Decision{Limited: true, Limit: 5, Remaining: 4, Reset: time.Second})
	for _, k := range []string{"x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"} {
		if h.Get(k) == "" {
			t.Errorf("%s not found by Get in %v", k, h)
		}
	}
}

// A streamed answer carries the headers the contract names, and X-Accel-Buffering: no, so a
// reverse proxy such as nginx passes each event on at once instead of buffering the stream;
// with a limited key that is eight headers of the handler's, which keeps net/http's header
// map small (it copies the map when the status goes out).
func TestStreamHeaders(t *testing.T) {
	e := newEnv(t)
	e.setup()
	key := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"rpm": 1000})["key"].(string)
	resp, out := e.v1(key, "/v1/chat/completions", chat("gpt", map[string]any{"stream": true}))
	if resp.StatusCode != 200 || !strings.Contains(string(out), "[DONE]") {
		t.Fatalf("%d %s", resp.StatusCode, out)
	}
	for k, want := range map[string]string{"Content-Type": "text/event-stream", "X-Accel-Buffering": "no",
		"X-Ratelimit-Limit-Requests": "1000"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	for _, k := range []string{"X-Request-Id", "X-Conduit-Provider", "X-Conduit-Overhead-Ms",
		"X-Ratelimit-Remaining-Requests", "X-Ratelimit-Reset-Requests"} {
		if resp.Header.Get(k) == "" {
			t.Errorf("no %s in %v", k, resp.Header)
		}
	}
	n := 0
	for k := range resp.Header {
		if k != "Date" && k != "Content-Length" && k != "Transfer-Encoding" { // net/http's own
			n++
		}
	}
	if n > 8 {
		t.Errorf("%d headers set by the handler, want at most 8: %v", n, resp.Header)
	}
}

// A request refused for its body is in the request log like any other, under the model it
// named and the key that sent it; nothing reached the upstream.
func TestInvalidRequestsAreLogged(t *testing.T) {
	e := newEnv(t)
	_, key := e.setup()
	cases := []struct {
		path, body, alias, code string
		status                  int
	}{
		{"/v1/chat/completions", `{"model":"gpt","messages":[]}`, "gpt", "invalid_request", 400},
		{"/v1/chat/completions", `{"model":`, "", "invalid_request", 400},
		{"/v1/embeddings", `{"model":"gpt"}`, "gpt", "invalid_request", 400},
		{"/v1/messages", `{"model":"gpt","max_tokens":5}`, "gpt", "", 400},
	}
	ids := make([]string, len(cases))
	for i, tc := range cases {
		resp, out := e.do("POST", tc.path, tc.body, map[string]string{"Authorization": "Bearer " + key})
		if resp.StatusCode != tc.status {
			t.Fatalf("%s %s: %d %s", tc.path, tc.body, resp.StatusCode, out)
		}
		ids[i] = resp.Header.Get("x-request-id")
	}
	byID := map[string]map[string]any{}
	for _, r := range e.requestLogs(len(cases)) {
		byID[r["id"].(string)] = r
	}
	for i, tc := range cases {
		r := byID[ids[i]]
		if r == nil || r["status"] != float64(tc.status) || r["alias"] != tc.alias || r["key_id"] == "" ||
			(tc.code != "" && r["error_code"] != tc.code) {
			t.Errorf("%s %s logged as %v", tc.path, tc.body, r)
		}
	}
	if e.fake.Served() != 0 {
		t.Fatal("a refused request reached the upstream")
	}
}
