// Command go-openai sends a chat, a stream, a tool call, an image and an embedding through
// Conduit with the official OpenAI Go SDK, which reads OPENAI_BASE_URL and OPENAI_API_KEY
// (the two lines `conduit keys create` prints).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"
)

const pixel = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "go-openai:", err)
		os.Exit(1)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context) error {
	client := openai.NewClient() // OPENAI_BASE_URL, OPENAI_API_KEY
	model := envOr("MODEL", "gpt-4o-mini")
	ask := func(parts ...openai.ChatCompletionMessageParamUnion) openai.ChatCompletionNewParams {
		return openai.ChatCompletionNewParams{Model: model, Messages: parts}
	}

	chat, err := client.Chat.Completions.New(ctx, ask(openai.UserMessage("Say hello in five words.")))
	if err != nil {
		return fmt.Errorf("chat: %w", err)
	}
	fmt.Println("chat:", chat.Choices[0].Message.Content)

	stream := client.Chat.Completions.NewStreaming(ctx, ask(openai.UserMessage("Count to five.")))
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		return fmt.Errorf("stream: %w", err)
	}
	fmt.Println("stream:", acc.Choices[0].Message.Content)

	p := ask(openai.UserMessage("Weather in Paris?"))
	p.Tools = []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name: "get_weather", Description: openai.String("Current weather"),
		Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
	})}
	call, err := client.Chat.Completions.New(ctx, p)
	if err != nil {
		return fmt.Errorf("tools: %w", err)
	}
	for _, tc := range call.Choices[0].Message.ToolCalls {
		fmt.Println("tool call:", tc.Function.Name, tc.Function.Arguments)
	}

	vision, err := client.Chat.Completions.New(ctx, ask(openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
		openai.TextContentPart("What is in this image?"),
		openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: pixel}),
	})))
	if err != nil {
		return fmt.Errorf("vision: %w", err)
	}
	fmt.Println("vision:", vision.Choices[0].Message.Content)

	emb, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Model: envOr("EMBED_MODEL", "text-embedding-3-small"),
		Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("Conduit is a gateway.")},
	})
	if err != nil {
		return fmt.Errorf("embeddings: %w", err)
	}
	fmt.Println("embedding dimensions:", len(emb.Data[0].Embedding))
	return nil
}
