package backend

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
)

// TestOfficialAnthropicSDK drives /v1/messages with the official Go SDK, routed to an
// OpenAI-type deployment.
func TestOfficialAnthropicSDK(t *testing.T) {
	e := newEnv(t)
	_, key := e.setup()
	ctx := context.Background()
	client := anthropic.NewClient(option.WithBaseURL(e.url), option.WithAPIKey(key), option.WithMaxRetries(0))
	hello := []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Say hello"))}

	t.Run("message", func(t *testing.T) {
		msg, err := client.Messages.New(ctx, anthropic.MessageNewParams{
			Model: "gpt", MaxTokens: 64, Messages: hello,
			System: []anthropic.TextBlockParam{{Text: "Be brief."}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if msg.Model != "gpt" || len(msg.Content) != 1 || msg.Content[0].Text != e.fake.Reply ||
			msg.StopReason != anthropic.StopReasonEndTurn || msg.Usage.OutputTokens != 5 {
			t.Fatalf("%s", msg.RawJSON())
		}
		reqs := e.fake.Requests()
		up := reqs[len(reqs)-1].Body
		msgs := up["messages"].([]any)
		if up["model"] != "gpt-4o-mini" || msgs[0].(map[string]any)["role"] != "system" {
			t.Fatalf("upstream got %v", up)
		}
	})

	t.Run("stream", func(t *testing.T) {
		stream := client.Messages.NewStreaming(ctx, anthropic.MessageNewParams{Model: "gpt", MaxTokens: 64, Messages: hello})
		var msg anthropic.Message
		for stream.Next() {
			if err := msg.Accumulate(stream.Current()); err != nil {
				t.Fatal(err)
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if len(msg.Content) != 1 || msg.Content[0].Text != e.fake.Reply || msg.StopReason != anthropic.StopReasonEndTurn {
			t.Fatalf("accumulated %+v", msg)
		}
	})

	tools := []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{Name: "get_weather",
		InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"city": map[string]any{"type": "string"}}}}}}
	t.Run("tool use", func(t *testing.T) {
		msg, err := client.Messages.New(ctx, anthropic.MessageNewParams{Model: "gpt", MaxTokens: 64, Messages: hello, Tools: tools})
		if err != nil {
			t.Fatal(err)
		}
		if msg.StopReason != anthropic.StopReasonToolUse || len(msg.Content) != 1 || msg.Content[0].Type != "tool_use" ||
			msg.Content[0].Name != "get_weather" || string(msg.Content[0].Input) != `{"city":"Paris"}` {
			t.Fatalf("%s", msg.RawJSON())
		}
		// The tool result goes back in the next turn.
		next := append(hello, msg.ToParam(),
			anthropic.NewUserMessage(anthropic.NewToolResultBlock(msg.Content[0].ID, "18°C and sunny", false)))
		if _, err := client.Messages.New(ctx, anthropic.MessageNewParams{Model: "gpt", MaxTokens: 64, Messages: next, Tools: tools}); err != nil {
			t.Fatal(err)
		}
		reqs := e.fake.Requests()
		raw := string(reqs[len(reqs)-1].Raw)
		if !strings.Contains(raw, `"role":"tool"`) || !strings.Contains(raw, "18°C and sunny") {
			t.Fatalf("tool result not forwarded: %s", raw)
		}
	})

	t.Run("streamed tool use", func(t *testing.T) {
		stream := client.Messages.NewStreaming(ctx, anthropic.MessageNewParams{Model: "gpt", MaxTokens: 64, Messages: hello, Tools: tools})
		var msg anthropic.Message
		for stream.Next() {
			if err := msg.Accumulate(stream.Current()); err != nil {
				t.Fatal(err)
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if msg.StopReason != anthropic.StopReasonToolUse || len(msg.Content) != 1 || string(msg.Content[0].Input) != `{"city":"Paris"}` {
			t.Fatalf("accumulated %+v", msg)
		}
	})

	t.Run("errors in Anthropic's shape", func(t *testing.T) {
		bad := anthropic.NewClient(option.WithBaseURL(e.url), option.WithAPIKey("condt_wrong"), option.WithMaxRetries(0))
		_, err := bad.Messages.New(ctx, anthropic.MessageNewParams{Model: "gpt", MaxTokens: 64, Messages: hello})
		var apiErr *anthropic.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || !strings.Contains(apiErr.RawJSON(), `"authentication_error"`) {
			t.Fatalf("err = %v", err)
		}
		_, err = client.Messages.New(ctx, anthropic.MessageNewParams{Model: "nope", MaxTokens: 64, Messages: hello})
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || !strings.Contains(apiErr.RawJSON(), `"not_found_error"`) {
			t.Fatalf("err = %v", err)
		}
	})
}
