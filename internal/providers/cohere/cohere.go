// Package cohere is the adapter for Cohere's v2 API: it translates OpenAI chat completions and
// embeddings to /v2/chat and /v2/embed and back, and reranks with /v2/rerank.
package cohere

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

// DefaultBaseURL is the Cohere v2 API root used when a provider sets no base_url. The model
// list lives under v1: it is read from the same host with "/v2" replaced by "/v1".
const DefaultBaseURL = "https://api.cohere.com/v2"

// Type is the provider type this package registers.
const Type = "cohere"

// statusInvalidToken is Cohere's answer to an invalid API key on some endpoints.
const statusInvalidToken = 498

// errorPaths locate the message of a Cohere error body ({"id":…,"message":…}).
func errorPaths() []string { return []string{"message", "error.message", "error", "detail"} }

// Register adds the cohere adapter to r.
func Register(r *providers.Registry) {
	r.Register(providers.Type{Name: Type, Label: "Cohere", DefaultBaseURL: DefaultBaseURL,
		Capabilities: []string{providers.CapChat, providers.CapEmbeddings, providers.CapModels, providers.CapRerank},
		New:          func(cfg providers.Config) (providers.Provider, error) { return New(cfg) }})
}

// Client talks to one Cohere account.
type Client struct {
	base string
	http providers.HTTP

	// now and newID are replaced in tests to make responses deterministic.
	now   func() time.Time
	newID func() string
}

// New builds a client; it fails on a missing API key or a bad base URL.
func New(cfg providers.Config) (*Client, error) {
	base, hc, err := cfg.Check("cohere", DefaultBaseURL)
	if err != nil {
		return nil, err
	}
	return &Client{base: base, now: time.Now, newID: providers.RandomID, http: providers.HTTP{
		Name: Type, Client: hc, ErrorPaths: errorPaths(), StatusError: statusError,
		Auth: func(h http.Header) { h.Set("Authorization", "Bearer "+cfg.APIKey) },
		// A stream request answered in JSON: an error that came after the 200 ({"message":...}).
		LateError: func(body []byte) bool { return gjson.GetBytes(body, "message").Type == gjson.String },
	}}, nil
}

// statusError maps a failed answer; 498 ("invalid token") is the gateway's credentials, like a 401.
func statusError(resp *http.Response, body []byte) *llm.Error {
	if resp.StatusCode != statusInvalidToken {
		return providers.StatusError(Type, resp, body, errorPaths()...)
	}
	r := *resp
	r.StatusCode = http.StatusUnauthorized
	e := providers.StatusError(Type, &r, body, errorPaths()...)
	e.Message = strings.Replace(e.Message, "(401)", "(498)", 1)
	return e
}

// ChatStream starts a streamed chat completion. It returns once the upstream has answered
// with a success status; chunks are read by Next.
func (c *Client) ChatStream(ctx context.Context, req *llm.ChatRequest, model string) (llm.ChunkStream, error) {
	body, err := chatBody(req, model, true)
	if err != nil {
		return nil, err
	}
	return c.http.OpenEvents(ctx, c.base+"/chat", body, newDecoder(model, c.now().Unix(), "chatcmpl-"+c.newID()))
}

func malformed(cause error) *llm.Error { return providers.Malformed(Type, cause) }

// Chat sends a non-streamed chat completion.
func (c *Client) Chat(ctx context.Context, req *llm.ChatRequest, model string) (*llm.Response, error) {
	body, err := chatBody(req, model, false)
	if err != nil {
		return nil, err
	}
	out, err := c.http.PostJSON(ctx, c.base+"/chat", body)
	if err != nil {
		return nil, err
	}
	b, usage, err := translateResponse(out, model, c.now().Unix(), c.newID)
	if err != nil {
		return nil, err
	}
	return &llm.Response{Body: b, Usage: usage}, nil
}

// modelsURL returns the v1 model list next to the v2 base.
func (c *Client) modelsURL() string {
	return strings.TrimSuffix(c.base, "/v2") + "/v1/models?page_size=1000"
}

// ListModels lists the account's model names.
func (c *Client) ListModels(ctx context.Context) ([]string, error) {
	return c.http.ListModels(ctx, providers.ModelPages{URL: c.modelsURL(), List: "models", ID: "name",
		Param: "page_token", Next: func(page []byte, _ string) string { return gjson.GetBytes(page, "next_page_token").Str }})
}

var (
	_ providers.Provider    = (*Client)(nil)
	_ providers.Embedder    = (*Client)(nil)
	_ providers.ModelLister = (*Client)(nil)
	_ providers.Reranker    = (*Client)(nil)
)
