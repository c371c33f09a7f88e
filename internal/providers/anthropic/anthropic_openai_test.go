package anthropic

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conduit-gw/conduit/internal/providers/providertest"

	"github.com/tidwall/gjson"
)

// serveJSON answers every request with body.
func serveJSON(status int, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
}

// TestResponseGoldens replays testdata/responses/<case>.json as the upstream's answer and
// pins the OpenAI chat.completion (or the error) in <case>.golden.json. Cases named json_*
// are asked with response_format json_object.
func TestResponseGoldens(t *testing.T) {
	cases, _ := filepath.Glob("testdata/responses/*.json")
	var n int
	for _, in := range cases {
		if strings.HasSuffix(in, ".golden.json") {
			continue
		}
		n++
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			up := providertest.NewUpstream(t, serveJSON(http.StatusOK, providertest.ReadFile(t, in)))
			c := newClient(t, up.URL)
			body := `{"model":"alias","messages":[{"role":"user","content":"hi"}]}`
			if strings.HasPrefix(name, "json_") {
				body = `{"model":"alias","response_format":{"type":"json_object"},"messages":[{"role":"user","content":"hi"}]}`
			}
			resp, err := c.Chat(context.Background(), providertest.ChatRequest(t, []byte(body)), "claude")
			var got []byte
			if err != nil {
				got = []byte(providertest.Describe(err) + "\n")
			} else {
				got = providertest.Indent(t, resp.Body)
				u := gjson.GetBytes(resp.Body, "usage")
				if int(u.Get("prompt_tokens").Int()) != resp.Usage.PromptTokens ||
					int(u.Get("completion_tokens").Int()) != resp.Usage.CompletionTokens ||
					resp.Usage.TotalTokens != resp.Usage.PromptTokens+resp.Usage.CompletionTokens {
					t.Errorf("Usage %+v does not match the body's %s", resp.Usage, u.Raw)
				}
			}
			providertest.Golden(t, filepath.Join("testdata/responses", name+".golden.json"), got, *update)
		})
	}
	if n < 8 {
		t.Fatalf("only %d response cases", n)
	}
}

// TestResponseSemantics states what the response goldens must show.
func TestResponseSemantics(t *testing.T) {
	want := map[string]map[string]string{
		"text": {"object": `"chat.completion"`, "id": `"msg_013Zva2CMHLNnXjNJJKqJ2EF"`, "created": `1738962000`,
			"choices.0.message.role": `"assistant"`, "choices.0.message.content": `"Hi! My name is Claude."`,
			"choices.0.finish_reason": `"stop"`, "usage.prompt_tokens": `2095`, "usage.completion_tokens": `503`,
			"usage.total_tokens": `2598`, "usage.prompt_tokens_details.cached_tokens": `0`},
		"tool_use": {"choices.0.message.content": `"I'll check both."`, "choices.0.finish_reason": `"tool_calls"`,
			"choices.0.message.tool_calls.#.id":                 `["toolu_01A09q90qw90lq917835lq9","toolu_01B"]`,
			"choices.0.message.tool_calls.0.type":               `"function"`,
			"choices.0.message.tool_calls.0.function.name":      `"get_weather"`,
			"choices.0.message.tool_calls.0.function.arguments": `"{\"location\":\"San Francisco, CA\",\"unit\":\"celsius\"}"`,
			"choices.0.message.tool_calls.1.function.arguments": `"{}"`},
		"tool_use_only":   {"choices.0.message.content": `null`, "choices.0.message.tool_calls.#": `1`},
		"cached_thinking": {"choices.0.message.content": `"Part one. Part two."`, "choices.0.finish_reason": `"length"`, "usage.prompt_tokens": `189107`, "usage.prompt_tokens_details.cached_tokens": `1000`},
		"refusal":         {"choices.0.message.content": `""`, "choices.0.finish_reason": `"content_filter"`},
		"stop_sequence":   {"choices.0.finish_reason": `"stop"`},
		"json_mode":       {"choices.0.message.content": `"{\"city\":\"Paris\",\"population\":2102650}"`, "choices.0.finish_reason": `"stop"`, "choices.0.message.tool_calls": ``},
	}
	for name, paths := range want {
		g := providertest.ReadFile(t, filepath.Join("testdata/responses", name+".golden.json"))
		for p, w := range paths {
			if got := compact(gjson.GetBytes(g, p).Raw); got != compact(w) {
				t.Errorf("%s: %s = %s, want %s", name, p, got, w)
			}
		}
	}
	for name, prefix := range map[string]string{
		"late_error": `*llm.Error status=502 type=upstream_error code=upstream_error retryable=true retry_after=0s message="anthropic: Overloaded"`,
		"malformed":  `*llm.Error status=502 type=upstream_error code=upstream_error retryable=true retry_after=0s message="anthropic returned a malformed response"`,
	} {
		if g := string(providertest.ReadFile(t, filepath.Join("testdata/responses", name+".golden.json"))); !strings.HasPrefix(g, prefix) {
			t.Errorf("%s: %s, want %s", name, g, prefix)
		}
	}
}

func TestFinishReason(t *testing.T) {
	for _, tt := range []struct {
		stop string
		json bool
		want string
	}{
		{"end_turn", false, "stop"}, {"stop_sequence", false, "stop"}, {"pause_turn", false, "stop"},
		{"max_tokens", false, "length"}, {"model_context_window_exceeded", false, "length"},
		{"tool_use", false, "tool_calls"}, {"tool_use", true, "stop"}, {"refusal", false, "content_filter"},
		{"", false, "stop"}, {"something_new", false, "stop"},
	} {
		if got := finishReason(tt.stop, tt.json); got != tt.want {
			t.Errorf("finishReason(%q, %v) = %q, want %q", tt.stop, tt.json, got, tt.want)
		}
	}
}
