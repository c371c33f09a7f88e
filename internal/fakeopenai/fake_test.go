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
