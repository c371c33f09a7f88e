package anthropic

import wire "github.com/conduit-gw/conduit/internal/anthropicwire"

// The Messages API request as sent upstream. Field order is the order of the JSON body.
type request struct {
	Model         string           `json:"model"`
	System        []wire.Block     `json:"system,omitempty"`
	Messages      []message        `json:"messages"`
	MaxTokens     int              `json:"max_tokens"`
	StopSequences []string         `json:"stop_sequences,omitempty"`
	Temperature   *float64         `json:"temperature,omitempty"`
	TopP          *float64         `json:"top_p,omitempty"`
	TopK          *int64           `json:"top_k,omitempty"`
	Tools         []wire.Tool      `json:"tools,omitempty"`
	ToolChoice    *wire.ToolChoice `json:"tool_choice,omitempty"`
	Metadata      *metadata        `json:"metadata,omitempty"`
	Stream        bool             `json:"stream,omitempty"`
}

// message is one turn; Anthropic wants user and assistant turns to alternate.
type message struct {
	Role    string       `json:"role"`
	Content []wire.Block `json:"content"`
}

type metadata struct {
	UserID string `json:"user_id"`
}

// defaultInputSchema is the input schema of a tool that gives none.
const defaultInputSchema = `{"type":"object","properties":{}}`
