// Command go-anthropic sends a message, a stream and a tool call through Conduit's Anthropic
// Messages API (any model Conduit routes, not only Claude) with the official Go SDK, which
// reads ANTHROPIC_BASE_URL (Conduit's address without /v1) and ANTHROPIC_API_KEY (a Conduit
// virtual key).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/anthropics/anthropic-sdk-go/v2"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "go-anthropic:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	client := anthropic.NewClient()
	model := anthropic.Model("gpt-4o-mini")
	if m := os.Getenv("MODEL"); m != "" {
		model = anthropic.Model(m)
	}

	msg, err := client.Messages.New(ctx, anthropic.MessageNewParams{Model: model, MaxTokens: 200,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Say hello in five words."))}})
	if err != nil {
		return fmt.Errorf("message: %w", err)
	}
	fmt.Println("message:", text(msg))

	stream := client.Messages.NewStreaming(ctx, anthropic.MessageNewParams{Model: model, MaxTokens: 200,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Count to five."))}})
	var streamed anthropic.Message
	for stream.Next() {
		if err := streamed.Accumulate(stream.Current()); err != nil {
			return fmt.Errorf("stream: %w", err)
		}
	}
	if err := stream.Err(); err != nil {
		return fmt.Errorf("stream: %w", err)
	}
	fmt.Println("stream:", text(&streamed))

	weather := anthropic.ToolParam{Name: "get_weather", Description: anthropic.String("Current weather"),
		InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"city": map[string]any{"type": "string"}},
			Required: []string{"city"}}}
	tool, err := client.Messages.New(ctx, anthropic.MessageNewParams{Model: model, MaxTokens: 200,
		Tools:    []anthropic.ToolUnionParam{{OfTool: &weather}},
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Weather in Paris?"))}})
	if err != nil {
		return fmt.Errorf("tool use: %w", err)
	}
	for _, b := range tool.Content {
		if b.Type == "tool_use" {
			fmt.Println("tool use:", b.Name, string(b.Input))
		}
	}
	return nil
}

// text joins a message's text blocks.
func text(m *anthropic.Message) string {
	s := ""
	for _, b := range m.Content {
		if b.Type == "text" {
			s += b.Text
		}
	}
	return s
}
