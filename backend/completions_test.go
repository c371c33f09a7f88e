package backend

import (
	"context"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/tidwall/gjson"
)

// TestLegacyCompletions: /v1/completions through the official SDK, whole and streamed, to an
// OpenAI-wire deployment; refused for others.
func TestLegacyCompletions(t *testing.T) {
	e := newEnv(t)
	key, _ := e.setupResponses()
	client := sdk(e.url, key)
	ctx := context.Background()
	prompt := openai.CompletionNewParamsPromptUnion{OfString: openai.String("func main() {")}
	for _, alias := range []string{"gpt", "chatonly"} {
		resp, err := client.Completions.New(ctx, openai.CompletionNewParams{Model: openai.CompletionNewParamsModel(alias), Prompt: prompt})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Model != alias || resp.Choices[0].Text != e.fake.Reply || resp.Usage.CompletionTokens != 5 {
			t.Fatalf("%s", resp.RawJSON())
		}
		stream := client.Completions.NewStreaming(ctx, openai.CompletionNewParams{Model: openai.CompletionNewParamsModel(alias), Prompt: prompt})
		var text strings.Builder
		chunks := 0
		for stream.Next() {
			ch := stream.Current()
			if ch.Model != alias || len(ch.Choices) == 0 {
				t.Fatalf("chunk %s", ch.RawJSON())
			}
			text.WriteString(ch.Choices[0].Text)
			chunks++
		}
		if err := stream.Err(); err != nil || text.String() != e.fake.Reply {
			t.Fatalf("%v %q", err, text.String())
		}
		reqs := e.fake.Requests()
		last := reqs[len(reqs)-1]
		if !strings.HasSuffix(last.Path, "/v1/completions") || !gjson.GetBytes(last.Raw, "stream_options.include_usage").Bool() {
			t.Errorf("upstream got %s %s", last.Path, last.Raw)
		}
	}
	rows := e.requestLogs(4)
	for _, r := range rows[:4] {
		if r["completion_tokens"].(float64) != 5 || r["status"].(float64) != 200 {
			t.Errorf("log row %v", r)
		}
	}

	f := newAgentFake(t)
	p := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{"name": "claude", "type": "anthropic", "base_url": f.srv.URL, "api_key": "k"})
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "claude", "provider_id": p["id"], "provider_model": "claude-x"})
	resp, out := e.v1(key, "/v1/completions", map[string]any{"model": "claude", "prompt": "x"})
	if resp.StatusCode != 400 || errorCode(t, out) != "invalid_request" || !strings.Contains(string(out), "OpenAI-wire") {
		t.Errorf("%d %s", resp.StatusCode, out)
	}
}
