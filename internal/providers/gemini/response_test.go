package gemini

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conduit-gw/conduit/internal/providers/providertest"

	"github.com/tidwall/gjson"
)

// TestResponseGoldens answers a chat request with testdata/responses/<case>.json and pins the
// OpenAI response (or the error) in <case>.golden.json.
func TestResponseGoldens(t *testing.T) {
	cases, err := filepath.Glob("testdata/responses/*.json")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, in := range cases {
		if strings.HasSuffix(in, ".golden.json") {
			continue
		}
		n++
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			answerBody := providertest.ReadFile(t, in)
			up := providertest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(answerBody)
			})
			c := newClient(t, up.URL)
			// One earlier call in the history: new calls are numbered from call_1.
			req := providertest.ChatRequest(t, []byte(`{"model":"alias","messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"call_0","type":"function","function":{"name":"ping","arguments":"{}"}}]},{"role":"tool","tool_call_id":"call_0","content":"pong"}]}`))
			resp, err := c.Chat(context.Background(), req, "gemini-2.5-flash")
			got := providertest.RenderAnswer(t, resp, err)
			providertest.Golden(t, strings.TrimSuffix(in, ".json")+".golden.json", got, *update)
		})
	}
	if n < 8 {
		t.Fatalf("only %d response cases", n)
	}
}

// TestResponseSemantics states what the goldens must show, so that -update cannot bless a
// regression unnoticed.
func TestResponseSemantics(t *testing.T) {
	get := func(name, path string) gjson.Result {
		return gjson.GetBytes(providertest.ReadFile(t, "testdata/responses/"+name+".golden.json"), path)
	}
	for _, tt := range []struct{ name, path, want string }{
		{"text", "id", "chatcmpl-x7BpaPq0LJfLz7IP_Jqg4Qo"},
		{"text", "choices.0.message.content", "2, 3 and 5 — the first three primes."},
		{"text", "choices.0.finish_reason", "stop"},
		{"text", "usage.completion_tokens", "39"},
		{"text", "usage.completion_tokens_details.reasoning_tokens", "28"},
		{"tool_calls_parallel", "choices.0.finish_reason", "tool_calls"},
		{"tool_calls_parallel", "choices.0.message.tool_calls.#", "3"},
		{"tool_calls_parallel", "choices.0.message.tool_calls.0.id", "call_1"},
		{"tool_calls_parallel", "choices.0.message.tool_calls.2.id", "call_3"},
		{"tool_calls_parallel", "choices.0.message.tool_calls.0.function.arguments", `{"city":"Paris","unit":"celsius"}`},
		{"tool_calls_parallel", "choices.0.message.tool_calls.2.function.arguments", `{}`},
		{"tool_calls_parallel", "choices.0.message.tool_calls.0.extra_content.google.thought_signature", "CiQBVKhc7sig0=="},
		{"candidates_n2", "choices.1.finish_reason", "length"},
		{"candidates_n2", "choices.1.index", "1"},
		{"safety", "choices.0.finish_reason", "content_filter"},
		{"safety", "choices.0.message.content", ""},
		{"prompt_blocked", "choices.0.finish_reason", "content_filter"},
		{"cached_thoughts", "choices.0.message.content", "Answer: 4"},
		{"cached_thoughts", "usage.prompt_tokens", "2058"},
		{"cached_thoughts", "usage.prompt_tokens_details.cached_tokens", "1024"},
		{"cached_thoughts", "choices.0.finish_reason", "length"},
		{"malformed_html", "error", `*llm.Error status=502 type=upstream_error code=upstream_error retryable=true retry_after=0s message="gemini returned a malformed response"`},
	} {
		if got := get(tt.name, tt.path).String(); got != tt.want {
			t.Errorf("%s %s = %q, want %q", tt.name, tt.path, got, tt.want)
		}
	}
	if get("safety", "choices.0.message.content").Type != gjson.Null {
		t.Error("a candidate without parts must have content null")
	}
}
