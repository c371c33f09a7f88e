package cohere

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
			req := providertest.ChatRequest(t, []byte(`{"model":"alias","messages":[{"role":"user","content":"hi"}]}`))
			resp, err := c.Chat(context.Background(), req, "command-a-03-2025")
			got := providertest.RenderAnswer(t, resp, err)
			providertest.Golden(t, strings.TrimSuffix(in, ".json")+".golden.json", got, *update)
		})
	}
	if n < 7 {
		t.Fatalf("only %d response cases", n)
	}
}

// TestResponseSemantics states what the goldens must show.
func TestResponseSemantics(t *testing.T) {
	get := func(name, path string) gjson.Result {
		return gjson.GetBytes(providertest.ReadFile(t, "testdata/responses/"+name+".golden.json"), path)
	}
	for _, tt := range []struct{ name, path, want string }{
		{"text", "id", "5a50480a-cf52-46f0-af01-53d18539bd31"},
		{"text", "choices.0.message.content", "2, 3 and 5 — the first three primes."},
		{"text", "choices.0.finish_reason", "stop"},
		{"text", "usage.prompt_tokens", "17"},
		{"text", "usage.total_tokens", "29"},
		{"tool_calls_parallel", "choices.0.finish_reason", "tool_calls"},
		{"tool_calls_parallel", "choices.0.message.content", "I will search for the weather in Madrid and Brasilia."},
		{"tool_calls_parallel", "choices.0.message.tool_calls.1.id", "get_weather_gh65bt2tcdy1"},
		{"tool_calls_parallel", "choices.0.message.tool_calls.1.function.arguments", `{"location":"Brasilia"}`},
		{"max_tokens", "choices.0.finish_reason", "length"},
		{"max_tokens", "choices.0.message.content", "A very long"},
		{"max_tokens", "usage.prompt_tokens", "30"},
		{"max_tokens", "usage.prompt_tokens_details.cached_tokens", "16"},
		{"stop_sequence", "choices.0.finish_reason", "stop"},
		{"toxic", "choices.0.finish_reason", "content_filter"},
		{"error_finish", "error", `*llm.Error status=502 type=upstream_error code=upstream_error retryable=true retry_after=0s message="cohere: generation failed (finish_reason ERROR)"`},
	} {
		if got := get(tt.name, tt.path).String(); got != tt.want {
			t.Errorf("%s %s = %q, want %q", tt.name, tt.path, got, tt.want)
		}
	}
}
