package llm

import (
	"encoding/json"
	"net/http"
	"testing"
)

// FuzzParseChatRequest feeds arbitrary /v1/chat/completions bodies: a body is refused with a
// 400 or parsed, never a panic; a parsed body decodes or is refused the same way, and the
// model the gateway splices in keeps it valid JSON.
//
//	go test -fuzz=FuzzParseChatRequest ./internal/llm/
func FuzzParseChatRequest(f *testing.F) {
	for _, s := range []string{
		`{"model":"gpt","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"gpt","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}]}`,
		`{"model":"gpt","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":"auto","n":2,"stop":["\n"],"max_tokens":5}`,
		`{"model":"gpt","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"1"}]}`,
		`{"model":"a","model":"b","messages":[]}`,
		`{"model":1}`, `[]`, `null`, `{"messages":"\u0000"}`, `{"model":"m","messages":[{"role":"user","content":null}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseChatRequest(body)
		if err != nil {
			if e := AsError(err); e.Status != http.StatusBadRequest {
				t.Fatalf("refused with %d, want 400: %v", e.Status, err)
			}
			return
		}
		out, ok := r.RawWithModel("deployment-model")
		if ok && !json.Valid(out) {
			t.Fatalf("model splice made invalid JSON: %s", out)
		}
		checkModelAndUsage(t, r, "deployment-model")
		if err := r.Decode(); err != nil {
			if e := AsError(err); e.Status != http.StatusBadRequest {
				t.Fatalf("Decode refused with %d, want 400: %v", e.Status, err)
			}
			return
		}
		_ = r.Validate()
	})
}
