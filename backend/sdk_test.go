package backend

import (
	"context"
	"errors"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// TestOfficialOpenAISDK drives Conduit with the official Go SDK, as a user's tool would.
func TestOfficialOpenAISDK(t *testing.T) {
	e := newEnv(t)
	pid, key := e.setup()
	ctx := context.Background()
	client := openai.NewClient(option.WithBaseURL(e.url+"/v1"), option.WithAPIKey(key), option.WithMaxRetries(0))
	user := openai.UserMessage("Say hello")

	t.Run("chat", func(t *testing.T) {
		resp, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: "gpt", Messages: []openai.ChatCompletionMessageParamUnion{user}, Seed: openai.Int(1),
		})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Model != "gpt" || resp.Choices[0].Message.Content != e.fake.Reply || resp.Usage.TotalTokens == 0 {
			t.Fatalf("%+v", resp)
		}
	})

	t.Run("stream with usage", func(t *testing.T) {
		stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
			Model: "gpt", Messages: []openai.ChatCompletionMessageParamUnion{user},
			StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
		})
		acc := openai.ChatCompletionAccumulator{}
		for stream.Next() {
			acc.AddChunk(stream.Current())
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if acc.Choices[0].Message.Content != e.fake.Reply || acc.Usage.CompletionTokens != 5 {
			t.Fatalf("content %q usage %+v", acc.Choices[0].Message.Content, acc.Usage)
		}
	})

	t.Run("tools", func(t *testing.T) {
		resp, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: "gpt", Messages: []openai.ChatCompletionMessageParamUnion{user},
			Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
				Name: "get_weather", Parameters: shared.FunctionParameters{"type": "object"},
			})},
		})
		if err != nil {
			t.Fatal(err)
		}
		tc := resp.Choices[0].Message.ToolCalls
		if len(tc) != 1 || tc[0].Function.Name != "get_weather" || tc[0].Function.Arguments != `{"city":"Paris"}` {
			t.Fatalf("%+v", resp.Choices[0].Message)
		}
	})

	t.Run("vision", func(t *testing.T) {
		resp, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: "gpt", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
				openai.TextContentPart("What is this?"),
				openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "data:image/png;base64,iVBORw0KGgo="}),
			})},
		})
		if err != nil || resp.Choices[0].Message.Content == "" {
			t.Fatalf("%v %+v", err, resp)
		}
	})

	t.Run("embeddings", func(t *testing.T) {
		// Python's SDK asks for base64 by default; both encodings must work.
		resp, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{
			Model: "gpt", Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Data) != 2 || len(resp.Data[0].Embedding) != 4 {
			t.Fatalf("%+v", resp.Data)
		}
	})

	t.Run("models", func(t *testing.T) {
		page, err := client.Models.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Data) != 1 || page.Data[0].ID != "gpt" {
			t.Fatalf("%+v", page.Data)
		}
	})

	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "secret-model", "provider_id": pid, "provider_model": "m"})
	limited := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"allowed_models": []string{"gpt"}})["key"].(string)
	errTests := []struct {
		name   string
		key    string
		model  string
		msgs   []openai.ChatCompletionMessageParamUnion
		status int
		code   string
	}{
		{"401", "condt_wrong", "gpt", []openai.ChatCompletionMessageParamUnion{user}, 401, "invalid_api_key"},
		{"403", limited, "secret-model", []openai.ChatCompletionMessageParamUnion{user}, 403, "model_not_allowed"},
		{"404", key, "nope", []openai.ChatCompletionMessageParamUnion{user}, 404, "model_not_found"},
		{"400", key, "gpt", nil, 400, "invalid_request"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			c := openai.NewClient(option.WithBaseURL(e.url+"/v1"), option.WithAPIKey(tt.key), option.WithMaxRetries(0))
			_, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: tt.model, Messages: tt.msgs})
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want *openai.Error", err)
			}
			if apiErr.StatusCode != tt.status || apiErr.Code != tt.code || apiErr.Message == "" {
				t.Fatalf("status %d code %q message %q", apiErr.StatusCode, apiErr.Code, apiErr.Message)
			}
		})
	}
}
