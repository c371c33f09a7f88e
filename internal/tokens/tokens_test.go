package tokens

import (
	"testing"

	"github.com/conduit-gw/conduit/internal/llm"
)

func TestCount(t *testing.T) {
	var c Counter
	tests := []struct {
		model, text string
		want        int
	}{
		// Reference counts from OpenAI's tokenizer.
		{"gpt-4o", "Hello, world!", 4},
		{"gpt-3.5-turbo", "Hello, world!", 4},
		{"gpt-4", "tiktoken is great!", 6},
		{"any", "", 0},
	}
	for _, tt := range tests {
		if got := c.Count(tt.model, tt.text); got != tt.want {
			t.Errorf("Count(%q, %q) = %d, want %d", tt.model, tt.text, got, tt.want)
		}
	}
}

func TestPrompt(t *testing.T) {
	var c Counter
	req := &llm.ChatRequest{Messages: []llm.Message{
		{Role: "system", Content: llm.Content{Text: "You are helpful."}},
		{Role: "user", Content: llm.Content{Text: "Hello, world!"}},
	}}
	// 3 priming + per message (3 + text): "You are helpful." is 4 tokens, "Hello, world!" 4.
	if got := c.Prompt("gpt-4o", req); got != 3+3+4+3+4 {
		t.Fatalf("Prompt = %d, want %d", got, 3+3+4+3+4)
	}
}
