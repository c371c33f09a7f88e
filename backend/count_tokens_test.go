package backend

import (
	"encoding/json"
	"fmt"
	"testing"
)

// TestCountTokens: an Anthropic deployment counts exactly (the upstream's answer, with the
// client's anthropic-beta passed on); any other is counted locally and marked estimated.
func TestCountTokens(t *testing.T) {
	e, f, key := agentEnv(t)
	body := `{"model":%q,"system":"Be brief.","messages":[{"role":"user","content":"How many tokens is this?"}],
		"tools":[{"name":"Read","input_schema":{"type":"object"}}]}`
	for _, tc := range []struct {
		alias     string
		exact     int
		estimated bool
	}{{"agent-claude", 42, false}, {"agent-chat", 0, true}} {
		resp, out := e.do("POST", "/v1/messages/count_tokens", []byte(fmt.Sprintf(body, tc.alias)),
			map[string]string{"x-api-key": key, "anthropic-beta": "token-counting-2024-11-01"})
		var v struct {
			InputTokens int  `json:"input_tokens"`
			Estimated   bool `json:"estimated"`
		}
		if resp.StatusCode != 200 || json.Unmarshal(out, &v) != nil {
			t.Fatalf("%s: %d %s", tc.alias, resp.StatusCode, out)
		}
		if v.Estimated != tc.estimated || (resp.Header.Get("x-conduit-estimated") == "true") != tc.estimated ||
			(tc.exact > 0 && v.InputTokens != tc.exact) || v.InputTokens < 5 {
			t.Errorf("%s: %s (estimated header %q)", tc.alias, out, resp.Header.Get("x-conduit-estimated"))
		}
	}
	calls := f.since(0)
	last := calls[len(calls)-1]
	if last.Path != "/v1/messages/count_tokens" || last.Header.Get("anthropic-beta") != "token-counting-2024-11-01" {
		t.Errorf("upstream got %s %v", last.Path, last.Header)
	}
	resp, out := e.do("POST", "/v1/messages/count_tokens", []byte(`{"messages":[]}`), map[string]string{"x-api-key": key})
	if resp.StatusCode != 400 {
		t.Errorf("no model: %d %s", resp.StatusCode, out)
	}
}
