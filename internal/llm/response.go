package llm

import (
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"
)

// Envelope is the frame of OpenAI's chat.completion (C: Choice) and chat.completion.chunk
// (C: ChunkChoice) objects. An adapter whose choices carry more than the canonical ones
// (Gemini's tool calls) frames its own choices in it.
type Envelope[C any] struct {
	ID                string `json:"id"`
	Object            string `json:"object"`
	Created           int64  `json:"created"`
	Model             string `json:"model"`
	Choices           []C    `json:"choices"`
	Usage             *Usage `json:"usage,omitempty"`
	SystemFingerprint string `json:"system_fingerprint,omitempty"`
}

// ChatResponse is an OpenAI chat.completion object.
type ChatResponse = Envelope[Choice]

// Choice is one completion choice.
type Choice struct {
	Index        int             `json:"index"`
	Message      Message         `json:"message"`
	FinishReason string          `json:"finish_reason"`
	Logprobs     json.RawMessage `json:"logprobs,omitempty"`
}

// ChatChunk is an OpenAI chat.completion.chunk object (one SSE event of a stream).
type ChatChunk = Envelope[ChunkChoice]

// ChunkChoice is one choice's delta in a stream chunk.
type ChunkChoice = ChunkChoiceOf[ToolCall]

// ChunkChoiceOf is a ChunkChoice whose tool calls are T: an adapter's own tool-call type
// that carries more than ToolCall.
type ChunkChoiceOf[T any] struct {
	Index        int        `json:"index"`
	Delta        DeltaOf[T] `json:"delta"`
	FinishReason *string    `json:"finish_reason"`
}

// Delta is the incremental part of a message in a stream.
type Delta = DeltaOf[ToolCall]

// DeltaOf is a Delta whose tool calls are T.
type DeltaOf[T any] struct {
	Role      string  `json:"role,omitempty"`
	Content   *string `json:"content,omitempty"`
	Refusal   *string `json:"refusal,omitempty"`
	ToolCalls []T     `json:"tool_calls,omitempty"`
}

// Finish reasons.
const (
	FinishStop          = "stop"
	FinishLength        = "length"
	FinishToolCalls     = "tool_calls"
	FinishContentFilter = "content_filter"
)

// Usage is token accounting as OpenAI reports it.
type Usage struct {
	PromptTokens            int                      `json:"prompt_tokens"`
	CompletionTokens        int                      `json:"completion_tokens"`
	TotalTokens             int                      `json:"total_tokens"`
	PromptTokensDetails     *PromptTokensDetails     `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails *CompletionTokensDetails `json:"completion_tokens_details,omitempty"`
}

// PromptTokensDetails carries cached prompt tokens.
type PromptTokensDetails struct {
	CachedTokens int `json:"cached_tokens"`
}

// CompletionTokensDetails carries reasoning tokens.
type CompletionTokensDetails struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}

// CachedTokens returns the cached prompt tokens, 0 when not reported.
func (u *Usage) CachedTokens() int {
	if u == nil || u.PromptTokensDetails == nil {
		return 0
	}
	return u.PromptTokensDetails.CachedTokens
}

// EmbeddingsRequest is an OpenAI embeddings request.
type EmbeddingsRequest struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format,omitempty"`
	Dimensions     *int            `json:"dimensions,omitempty"`
	User           string          `json:"user,omitempty"`

	Raw []byte `json:"-"`
}

// Validate checks the request shape.
func (r *EmbeddingsRequest) Validate() error {
	if r.Model == "" {
		return InvalidRequest("model", "you must provide a model parameter")
	}
	if len(r.Input) == 0 || string(r.Input) == "null" {
		return InvalidRequest("input", "input must be a string or an array")
	}
	switch r.Input[0] {
	case '"', '[':
	default:
		return InvalidRequest("input", "input must be a string or an array")
	}
	switch r.EncodingFormat {
	case "", "float", "base64":
	default:
		return InvalidRequest("encoding_format", "encoding_format must be \"float\" or \"base64\"")
	}
	return nil
}

// Response is a complete, non-streamed answer in OpenAI's JSON format, as bytes ready for
// the client (apart from the model name, which the gateway sets to the alias).
type Response struct {
	Body  []byte
	Usage Usage
	// ContentType is the body's media type when it is not JSON (a transcript as text).
	ContentType string
}

// ChunkStream yields the events of a streamed answer, each an OpenAI chat.completion.chunk
// JSON object. Next returns io.EOF after the upstream's clean end; any other error means the
// stream broke and must not be presented to the client as complete.
type ChunkStream interface {
	Next() ([]byte, error)
	Close() error
}

// WaitHook is implemented by streams that can say when Next is about to wait on the network:
// f runs before each read from the upstream connection, i.e. once every event already
// received has been returned. A relay writes chunks unflushed and flushes in f, so each
// upstream read reaches the client in one write and no chunk is ever held back.
type WaitHook interface {
	BeforeWait(f func())
}

// ContentText reads the text of a chat answer's message.content: a string, or (some servers)
// an array of text parts.
func ContentText(c gjson.Result) string {
	if c.Type == gjson.String {
		return c.Str
	}
	var b strings.Builder
	c.ForEach(func(_, p gjson.Result) bool {
		if p.Get("type").Str == "text" {
			b.WriteString(p.Get("text").Str)
		}
		return true
	})
	return b.String()
}
