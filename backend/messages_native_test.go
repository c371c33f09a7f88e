package backend

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// TestMessagesNative: an Anthropic deployment gets a Messages request as the client sent it
// (only the model rewritten, anthropic-beta passed on, fields Conduit does not translate
// kept), whole and streamed, and its answer comes back naming the alias.
func TestMessagesNative(t *testing.T) {
	e, f, key := agentEnv(t)
	body := `{"model":"agent-claude","max_tokens":100,"system":[{"type":"text","text":"sys","cache_control":{"type":"ephemeral"}}],
		"messages":[{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral"}}]},
		{"role":"system","content":"mid-conversation"}],
		"thinking":{"type":"adaptive"},"context_management":{"edits":[]},"output_config":{"effort":"high"},"future_field":1}`
	for _, stream := range []bool{false, true} {
		b, _ := sjson.Set(body, "stream", stream)
		resp, out := e.do("POST", "/v1/messages?beta=true", b, map[string]string{"x-api-key": key,
			"anthropic-beta": "mid-conversation-system-2026-04-07,context-management-2025-06-27", "anthropic-version": "2023-06-01"})
		if resp.StatusCode != 200 {
			t.Fatalf("stream %v: %d %s", stream, resp.StatusCode, out)
		}
		calls := f.since(0)
		up := calls[len(calls)-1]
		want, _ := sjson.Set(b, "model", "claude-sonnet-4-5")
		if string(up.Body) != want {
			t.Errorf("upstream body\n%s\nwant\n%s", up.Body, want)
		}
		if up.Header.Get("anthropic-beta") != "mid-conversation-system-2026-04-07,context-management-2025-06-27" {
			t.Errorf("anthropic-beta %q", up.Header.Get("anthropic-beta"))
		}
		if !stream {
			if gjson.GetBytes(out, "model").Str != "agent-claude" || gjson.GetBytes(out, "content.0.text").Str != "pong" {
				t.Errorf("%s", out)
			}
			continue
		}
		if resp.Header.Get("Content-Type") != "text/event-stream" || !strings.Contains(string(out), "event: message_start\ndata: ") ||
			!strings.Contains(string(out), `"model":"agent-claude"`) || !strings.HasSuffix(strings.TrimSpace(string(out)), `{"type":"message_stop"}`) {
			t.Errorf("stream:\n%s", out)
		}
	}
	rows := e.requestLogs(2)
	for _, r := range rows[:2] {
		if r["prompt_tokens"].(float64) != 50 || r["completion_tokens"].(float64) != 7 || r["alias"] != "agent-claude" {
			t.Errorf("log row %v", r)
		}
	}
}
