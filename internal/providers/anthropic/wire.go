package anthropic

import (
	"encoding/json"
)

// The Messages API request as sent upstream. Field order is the order of the JSON body.
type request struct {
	Model         string      `json:"model"`
	System        []block     `json:"system,omitempty"`
	Messages      []message   `json:"messages"`
	MaxTokens     int         `json:"max_tokens"`
	StopSequences []string    `json:"stop_sequences,omitempty"`
	Temperature   *float64    `json:"temperature,omitempty"`
	TopP          *float64    `json:"top_p,omitempty"`
	TopK          *int64      `json:"top_k,omitempty"`
	Tools         []tool      `json:"tools,omitempty"`
	ToolChoice    *toolChoice `json:"tool_choice,omitempty"`
	Metadata      *metadata   `json:"metadata,omitempty"`
	Stream        bool        `json:"stream,omitempty"`
}

// message is one turn; Anthropic wants user and assistant turns to alternate.
type message struct {
	Role    string  `json:"role"`
	Content []block `json:"content"`
}

// block is a content block: text, image, document, tool_use or tool_result.
type block struct {
	Type      string          `json:"type"`
	Text      string          `json:"text,omitempty"`
	Source    *source         `json:"source,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
	// Content of a tool_result: a JSON string or an array of text and image blocks.
	Content json.RawMessage `json:"content,omitempty"`
}

// source is where an image or document comes from: inline base64 data or a URL.
type source struct {
	Type      string `json:"type"` // "base64" or "url"
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

type tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

// toolChoice is auto, any, tool (with Name) or none.
type toolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use,omitempty"`
}

type metadata struct {
	UserID string `json:"user_id"`
}

// Block types.
const (
	blockText       = "text"
	blockImage      = "image"
	blockDocument   = "document"
	blockToolUse    = "tool_use"
	blockToolResult = "tool_result"
)

// Anthropic's stop_reason values.
const (
	stopEndTurn        = "end_turn"
	stopMaxTokens      = "max_tokens"
	stopSequence       = "stop_sequence"
	stopToolUse        = "tool_use"
	stopPauseTurn      = "pause_turn"
	stopRefusal        = "refusal"
	stopContextWindow  = "model_context_window_exceeded"
	defaultInputSchema = `{"type":"object","properties":{}}`
)
