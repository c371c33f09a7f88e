// Package anthropicwire holds the JSON shapes of Anthropic's Messages API that Conduit both
// reads and writes: the request's content blocks and tools, which anthropicapi decodes from
// clients and the anthropic adapter encodes for the upstream, and the stop reasons.
package anthropicwire

import "encoding/json"

// Block is a content block of a request: text, image, document, tool_use or tool_result
// (other types, such as thinking, are read for their Type only). Field order is the order of
// the JSON.
type Block struct {
	Type   string  `json:"type"`
	Text   string  `json:"text,omitempty"`
	Source *Source `json:"source,omitempty"`
	Title  string  `json:"title,omitempty"` // of a document
	// ID, Name and Input are a tool_use block's.
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
	// ToolUseID, Content and IsError are a tool_result block's; Content is a JSON string or
	// an array of text and image blocks.
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Content   json.RawMessage `json:"content,omitempty"`
	IsError   bool            `json:"is_error,omitempty"`
}

// Source is where an image or document comes from: inline base64 data or a URL.
type Source struct {
	Type      string `json:"type"` // "base64" or "url"
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

// Tool is a tool definition: a client tool (Type empty or "custom") with its input schema,
// or one of Anthropic's server tools (Type names it).
type Tool struct {
	Type        string          `json:"type,omitempty"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

// ToolChoice is auto, any, tool (with Name) or none.
type ToolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use,omitempty"`
}
