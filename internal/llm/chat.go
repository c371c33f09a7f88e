// Package llm holds the canonical types every part of Conduit speaks. The canonical chat shape
// is OpenAI's Chat Completions schema: inbound OpenAI requests need no translation, and every
// provider adapter translates from and to it.
package llm

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/tidwall/gjson"
)

// ChatRequest is an OpenAI Chat Completions request. Fields Conduit does not interpret stay in
// Raw, which OpenAI-family adapters forward with only the model rewritten.
type ChatRequest struct {
	Model               string          `json:"model"`
	Messages            []Message       `json:"messages"`
	Stream              bool            `json:"stream,omitempty"`
	StreamOptions       *StreamOptions  `json:"stream_options,omitempty"`
	Tools               []Tool          `json:"tools,omitempty"`
	ToolChoice          json.RawMessage `json:"tool_choice,omitempty"`
	ParallelToolCalls   *bool           `json:"parallel_tool_calls,omitempty"`
	ResponseFormat      json.RawMessage `json:"response_format,omitempty"`
	Stop                Stop            `json:"stop,omitempty"`
	Seed                *int64          `json:"seed,omitempty"`
	N                   *int            `json:"n,omitempty"`
	MaxTokens           *int            `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int            `json:"max_completion_tokens,omitempty"`
	Temperature         *float64        `json:"temperature,omitempty"`
	TopP                *float64        `json:"top_p,omitempty"`
	FrequencyPenalty    *float64        `json:"frequency_penalty,omitempty"`
	PresencePenalty     *float64        `json:"presence_penalty,omitempty"`
	User                string          `json:"user,omitempty"`
	ReasoningEffort     string          `json:"reasoning_effort,omitempty"`

	// Raw is the request body as the client sent it (nil when built in code). It is never
	// changed: the values ParseChatRequest found point into it.
	Raw []byte `json:"-"`

	// Set by ParseChatRequest, which leaves the typed message fields empty until Decode.
	scanned, decoded bool
	images           bool
	tools            int
	model            gjson.Result // the "model" value in Raw (RawWithModel)
	modelDup         bool         // Raw has more than one "model" key
	streamOptsKey    bool         // Raw has a "stream_options" key (of any value)
}

// StreamOptions mirrors OpenAI's stream_options.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// WantsUsage reports whether the client asked for the final usage chunk of a stream.
func (r *ChatRequest) WantsUsage() bool {
	return r.StreamOptions != nil && r.StreamOptions.IncludeUsage
}

// HasImages reports whether any message carries an image part.
func (r *ChatRequest) HasImages() bool {
	if r.scanned && !r.decoded {
		return r.images
	}
	for i := range r.Messages {
		for j := range r.Messages[i].Content.Parts {
			if r.Messages[i].Content.Parts[j].Type == PartImageURL {
				return true
			}
		}
	}
	return false
}

// Validate checks what every provider needs. It returns an *Error with code invalid_request.
func (r *ChatRequest) Validate() error {
	if r.Model == "" {
		return InvalidRequest("model", "you must provide a model parameter")
	}
	if len(r.Messages) == 0 {
		return InvalidRequest("messages", "messages must be a non-empty array")
	}
	for i := range r.Messages {
		m := &r.Messages[i]
		switch m.Role {
		case RoleSystem, RoleDeveloper, RoleUser, RoleAssistant, RoleTool, "function":
		case "":
			return InvalidRequest("messages", "each message needs a role")
		default:
			return InvalidRequest("messages", "unknown message role "+quote(m.Role))
		}
		for _, p := range m.Content.Parts {
			if p.Type == PartImageURL && (p.ImageURL == nil || p.ImageURL.URL == "") {
				return InvalidRequest("messages", "image_url content parts need an image_url.url")
			}
		}
	}
	if r.N != nil && *r.N < 1 {
		return InvalidRequest("n", "n must be at least 1")
	}
	for _, t := range r.Tools {
		if t.Type != "function" || t.Function.Name == "" {
			return InvalidRequest("tools", "each tool needs type \"function\" and a function.name")
		}
	}
	return nil
}

// Message roles.
const (
	RoleSystem    = "system"
	RoleDeveloper = "developer"
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool"
)

// Message is one chat message.
type Message struct {
	Role       string     `json:"role"`
	Content    Content    `json:"content"`
	Name       string     `json:"name,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

// Content is a message's content: a plain string, an array of parts, or null.
type Content struct {
	Text  string
	Parts []ContentPart
	// IsParts is true when the content was (or is to be) an array.
	IsParts bool
	// Null is true when the content was JSON null or absent.
	Null bool
}

// Content part types.
const (
	PartText       = "text"
	PartImageURL   = "image_url"
	PartInputAudio = "input_audio"
	PartFile       = "file"
)

// ContentPart is one element of an array content.
type ContentPart struct {
	Type     string          `json:"type"`
	Text     string          `json:"text,omitempty"`
	ImageURL *ImageURL       `json:"image_url,omitempty"`
	Extra    json.RawMessage `json:"-"`
}

// ImageURL is an https or data: URL of an image.
type ImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

// String returns the text of the content, joining text parts.
func (c Content) String() string {
	if !c.IsParts {
		return c.Text
	}
	var b bytes.Buffer
	for _, p := range c.Parts {
		if p.Type == PartText {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// UnmarshalJSON accepts a string, an array of parts or null.
func (c *Content) UnmarshalJSON(b []byte) error {
	*c = Content{}
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		c.Null = true
		return nil
	case b[0] == '"':
		return json.Unmarshal(b, &c.Text)
	case b[0] == '[':
		c.IsParts = true
		return json.Unmarshal(b, &c.Parts)
	default:
		return errors.New("content must be a string or an array of content parts")
	}
}

// MarshalJSON writes the content in the form it was given.
func (c Content) MarshalJSON() ([]byte, error) {
	switch {
	case c.IsParts:
		if c.Parts == nil {
			return []byte("[]"), nil
		}
		return json.Marshal(c.Parts)
	case c.Null:
		return []byte("null"), nil
	default:
		return json.Marshal(c.Text)
	}
}

// UnmarshalJSON keeps the raw part so that unknown part types survive a round trip.
func (p *ContentPart) UnmarshalJSON(b []byte) error {
	type plain ContentPart
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = ContentPart(v)
	if p.Type != PartText && p.Type != PartImageURL {
		p.Extra = append(json.RawMessage(nil), b...)
	}
	return nil
}

// MarshalJSON writes unknown part types back unchanged.
func (p ContentPart) MarshalJSON() ([]byte, error) {
	if len(p.Extra) > 0 {
		return p.Extra, nil
	}
	type plain ContentPart
	return json.Marshal(plain(p))
}

// Tool is a function tool definition.
type Tool struct {
	Type     string      `json:"type"`
	Function FunctionDef `json:"function"`
}

// FunctionDef describes a callable function.
type FunctionDef struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

// ToolCall is a model's call of a tool. Index is set in stream deltas.
type ToolCall struct {
	Index    *int         `json:"index,omitempty"`
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type,omitempty"`
	Function FunctionCall `json:"function"`
}

// FunctionCall carries the function name and its JSON arguments as a string.
type FunctionCall struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

// Stop is OpenAI's stop parameter: a string or an array of strings.
type Stop []string

// UnmarshalJSON accepts a string, an array of strings or null.
func (s *Stop) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		*s = nil
		return nil
	}
	if b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = Stop{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("stop must be a string or an array of strings")
	}
	*s = many
	return nil
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
