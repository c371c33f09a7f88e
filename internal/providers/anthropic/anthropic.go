// Package anthropic is the adapter for Anthropic's Messages API: it translates canonical
// (OpenAI Chat Completions) requests to POST /v1/messages and the answers back.
//
// Request: system and developer messages become the top-level system prompt; consecutive
// messages of one role are merged (tool results go in a user turn); image_url parts become
// base64 or url image blocks, PDF file parts document blocks; tools, tool_choice and
// parallel_tool_calls map to their Anthropic forms; stop → stop_sequences; max_tokens or
// max_completion_tokens → max_tokens (DefaultMaxTokens when absent); user →
// metadata.user_id; top_k (not OpenAI's) is forwarded. response_format json_object and
// json_schema are served by a forced tool whose input schema is the format, so Anthropic
// enforces it; the tool's input comes back as the message content (refused with tools).
// Refused with a 400 naming them: n > 1, seed, non-zero frequency/presence penalties,
// logprobs, top_logprobs, logit_bias, functions/function_call, audio, modalities other than
// text, prediction, web_search_options, reasoning_effort, temperature above 1.
//
// Answer: text blocks → content, tool_use → tool_calls, thinking blocks left out;
// stop_reason → finish_reason; usage with cache reads and writes counted in prompt_tokens and
// cache reads as cached_tokens. Streams end with a usage chunk after message_stop.
package anthropic

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

// Type is the provider type this package registers.
const Type = "anthropic"

// DefaultBaseURL is used when a provider sets no base_url. Endpoints are appended with their
// /v1 prefix, so a base URL may be given with or without a trailing /v1.
const DefaultBaseURL = "https://api.anthropic.com"

// APIVersion is sent as the anthropic-version header.
const APIVersion = "2023-06-01"

// DefaultMaxTokens is sent when the client sets neither max_tokens nor max_completion_tokens:
// Anthropic requires the field.
const DefaultMaxTokens = 4096

// errorMessagePaths locate the message of an Anthropic error object
// ({"type":"error","error":{"type":...,"message":...}}).
var errorMessagePaths = []string{"error.message", "message"}

// Register adds the anthropic type to r.
func Register(r *providers.Registry) {
	r.Register(providers.Type{Name: Type, Label: "Anthropic", DefaultBaseURL: DefaultBaseURL,
		Capabilities: []string{providers.CapChat, providers.CapModels, providers.CapMessages},
		New:          func(cfg providers.Config) (providers.Provider, error) { return New(cfg) }})
}

// Client talks to one Anthropic account (or a server speaking its Messages API).
type Client struct {
	base string // without the /v1 suffix
	http providers.HTTP
	// now stamps the "created" field of translated answers; time.Now unless a test sets it.
	now func() time.Time
}

// New builds a client; it fails on a missing API key or a malformed base URL.
func New(cfg providers.Config) (*Client, error) {
	base, hc, err := cfg.Check(Type, DefaultBaseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{base: strings.TrimSuffix(base, "/v1"), now: time.Now, http: providers.HTTP{
		Name: Type, Client: hc, ErrorPaths: errorMessagePaths, LateError: isError,
		Auth: func(h http.Header) {
			h.Set("x-api-key", cfg.APIKey)
			h.Set("anthropic-version", APIVersion)
		},
	}}
	return c, nil
}

// isError reports whether an answer is an error object ({"type":"error",...}): sent with a
// 200 when it came late, or in place of an event stream. Anthropic's 529 overloaded_error
// is mapped like every other 5xx.
func isError(body []byte) bool { return gjson.GetBytes(body, "type").Str == "error" }

// Chat sends a non-streamed message request and returns the answer as an OpenAI
// chat.completion.
func (c *Client) Chat(ctx context.Context, req *llm.ChatRequest, model string) (*llm.Response, error) {
	tr, err := translateRequest(req, model, false)
	if err != nil {
		return nil, err
	}
	out, err := c.http.PostJSON(ctx, c.base+"/v1/messages", tr.body)
	if err != nil {
		return nil, err
	}
	body, usage, err := translateResponse(out, tr.jsonTool, c.now().Unix())
	if err != nil {
		return nil, malformed(err)
	}
	return &llm.Response{Body: body, Usage: usage}, nil
}

// ChatStream starts a streamed message request. It returns once the upstream has answered
// with a success status; Next yields the answer as OpenAI chat.completion.chunk objects.
func (c *Client) ChatStream(ctx context.Context, req *llm.ChatRequest, model string) (llm.ChunkStream, error) {
	tr, err := translateRequest(req, model, true)
	if err != nil {
		return nil, err
	}
	return c.http.OpenEvents(ctx, c.base+"/v1/messages", tr.body, newTranslator(tr.jsonTool, c.now().Unix()))
}

func malformed(cause error) *llm.Error { return providers.Malformed(Type, cause) }

// ListModels lists the account's model ids (GET /v1/models, following its pages).
func (c *Client) ListModels(ctx context.Context) ([]string, error) {
	return c.http.ListModels(ctx, providers.ModelPages{URL: c.base + "/v1/models?limit=1000", List: "data", ID: "id",
		Param: "after_id", Next: func(page []byte, after string) string {
			last := gjson.GetBytes(page, "last_id").Str
			if !gjson.GetBytes(page, "has_more").Bool() || last == after {
				return ""
			}
			return last
		}})
}

var (
	_ providers.Provider    = (*Client)(nil)
	_ providers.ModelLister = (*Client)(nil)
)
