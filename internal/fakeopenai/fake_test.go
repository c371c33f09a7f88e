package fakeopenai

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestChatStreamWireFormat checks the chunks keep OpenAI's field order and its usage
// convention: with include_usage every chunk has "usage": null and a last chunk with no
// choices holds the counts; without it no chunk has a usage field.
func TestChatStreamWireFormat(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  string
		usage bool
	}{
		{"usage asked", `,"stream_options":{"include_usage":true}`, true},
		{"usage not asked", ``, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(New(""))
			defer srv.Close()
			body := `{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]` + tc.opts + `}`
			res, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var chunks []string
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok && data != "[DONE]" {
					chunks = append(chunks, data)
				}
			}
			if len(chunks) < 3 {
				t.Fatalf("got %d chunks, want at least 3", len(chunks))
			}
			const head = `{"id":"chatcmpl-fake1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","system_fingerprint":"fp_fake","choices":`
			for i, c := range chunks {
				if !strings.HasPrefix(c, head) {
					t.Errorf("chunk %d = %s, want it to begin %s", i, c, head)
				}
				var v map[string]json.RawMessage
				if err := json.Unmarshal([]byte(c), &v); err != nil {
					t.Fatalf("chunk %d: %v", i, err)
				}
				u, has := v["usage"]
				last := i == len(chunks)-1
				switch {
				case !tc.usage && has:
					t.Errorf("chunk %d has usage %s, the request did not ask for it", i, u)
				case tc.usage && !last && string(u) != "null":
					t.Errorf("chunk %d usage = %q, want null", i, u)
				case tc.usage && last && (string(v["choices"]) != "[]" || !strings.Contains(string(u), `"total_tokens":`)):
					t.Errorf("last chunk = %s, want no choices and the counts", c)
				}
			}
		})
	}
}

// TestMessagesWireFormat checks Anthropic's key order: a message begins with its id, every
// event and content block with its type, and an event's index comes before its block.
func TestMessagesWireFormat(t *testing.T) {
	srv := httptest.NewServer(New(""))
	defer srv.Close()
	post := func(body string) string {
		t.Helper()
		res, err := http.Post(srv.URL+"/v1/messages", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b strings.Builder
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			b.WriteString(sc.Text() + "\n")
		}
		return b.String()
	}
	const msgs = `"messages":[{"role":"user","content":"hi"}]`
	if got, want := post(`{"model":"claude-x","max_tokens":10,`+msgs+`}`),
		`{"id":"msg_fake1","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":`; !strings.HasPrefix(got, want) {
		t.Errorf("message = %s, want it to begin %s", got, want)
	}
	stream := post(`{"model":"claude-x","max_tokens":10,"stream":true,` + msgs + `}`)
	for _, want := range []string{
		`data: {"type":"message_start","message":{"id":"msg_fake1","type":"message",`,
		`data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
		`data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello "}}`,
		`data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":`,
		`data: {"type":"message_stop"}`,
	} {
		if !strings.Contains(stream, want) {
			t.Errorf("stream has no line beginning %s:\n%s", want, stream)
		}
	}
	tools := post(`{"model":"claude-x","max_tokens":10,"stream":true,"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],` + msgs + `}`)
	if want := `{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_abc123","name":"get_weather","input":{}}}`; !strings.Contains(tools, want) {
		t.Errorf("tool stream has no %s:\n%s", want, tools)
	}
}
