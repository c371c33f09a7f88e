// Package gemini is the adapter for Google's Gemini API (Google AI Studio): it translates
// OpenAI chat completions and embeddings to generateContent / batchEmbedContents and back.
package gemini

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

// DefaultBaseURL is the Gemini API root used when a provider sets no base_url.
const DefaultBaseURL = "https://generativelanguage.googleapis.com/v1beta"

// Type is the provider type this package registers.
const Type = "gemini"

// Register adds the gemini adapter to r.
func Register(r *providers.Registry) {
	r.Register(providers.Type{Name: Type, Label: "Google Gemini", GenAIName: "gcp.gemini", DefaultBaseURL: DefaultBaseURL,
		Capabilities: []string{providers.CapChat, providers.CapEmbeddings, providers.CapModels},
		New:          func(cfg providers.Config) (providers.Provider, error) { return New(cfg) }})
}

// Client talks to one Gemini API account.
type Client struct {
	base  string
	http  providers.HTTP
	media *mediaLoader

	// now and newID are replaced in tests to make responses deterministic.
	now   func() time.Time
	newID func() string
}

// New builds a client; it fails on a missing API key or a bad base URL.
func New(cfg providers.Config) (*Client, error) {
	base, hc, err := cfg.Check("gemini", DefaultBaseURL)
	if err != nil {
		return nil, err
	}
	return &Client{
		base: base,
		http: providers.HTTP{Name: Type, Client: hc, StatusError: statusError, LateError: isError,
			// Without alt=sse Gemini streams a JSON array: an error may come as its first item.
			ErrorPaths: []string{"error.message", "0.error.message"},
			Auth:       func(h http.Header) { h.Set("x-goog-api-key", cfg.APIKey) }},
		media: newMediaLoader(hc),
		now:   time.Now,
		newID: providers.RandomID,
	}, nil
}

// isError reports whether an answer is an error ({"error":{...}}), or a JSON array stream
// whose first item is one.
func isError(body []byte) bool {
	return providers.HasTopLevelError(body) || gjson.GetBytes(body, "0.error").IsObject()
}

// modelPath returns the resource name of a model: "models/<model>" unless the model is
// already a resource name such as "tunedModels/x" or "models/x".
func modelPath(model string) string {
	if strings.Contains(model, "/") {
		segs := strings.Split(model, "/")
		for i, s := range segs {
			segs[i] = url.PathEscape(s)
		}
		return strings.Join(segs, "/")
	}
	return "models/" + url.PathEscape(model)
}

// endpoint returns the URL of a model method ("generateContent", ...).
func (c *Client) endpoint(model, method string) string {
	return c.base + "/" + modelPath(model) + ":" + method
}

// statusError maps a Gemini error response ({"error":{"code","message","status","details"}}).
func statusError(resp *http.Response, body []byte) *llm.Error {
	e := providers.StatusError(Type, resp, body, "error.message", "message", "error")
	status := gjson.GetBytes(body, "error.status").Str
	switch {
	case resp.StatusCode == http.StatusBadRequest && hasReason(body, "API_KEY_INVALID"):
		// Gemini answers a bad key with 400 INVALID_ARGUMENT: the gateway's fault, not the client's.
		e.Status, e.Type, e.Code = http.StatusBadGateway, llm.TypeUpstream, llm.CodeUpstreamError
		e.Message = "gemini rejected the gateway's credentials (400): " + strings.TrimPrefix(e.Message, Type+": ")
	case resp.StatusCode == http.StatusBadRequest && status == "FAILED_PRECONDITION":
		// E.g. "User location is not supported" or billing not enabled on this account:
		// another deployment may well succeed.
		e.Status, e.Type, e.Code = http.StatusBadGateway, llm.TypeUpstream, llm.CodeUpstreamError
		e.Message = "gemini refused the request for this account (400): " + strings.TrimPrefix(e.Message, Type+": ")
		e.Retryable = true
	}
	if e.Retryable && e.RetryAfter == 0 {
		e.RetryAfter = retryDelay(body)
	}
	return e
}

// hasReason reports whether a Google error carries an ErrorInfo detail with that reason.
func hasReason(body []byte, reason string) bool {
	found := false
	gjson.GetBytes(body, "error.details").ForEach(func(_, d gjson.Result) bool {
		found = d.Get("reason").Str == reason
		return !found
	})
	return found
}

// maxRetryDelay bounds what a RetryInfo detail can ask for.
const maxRetryDelay = time.Hour

// retryDelay reads google.rpc.RetryInfo's retryDelay ("37s") from a 429 body.
func retryDelay(body []byte) time.Duration {
	var d time.Duration
	gjson.GetBytes(body, "error.details").ForEach(func(_, det gjson.Result) bool {
		v := det.Get("retryDelay")
		if v.Type != gjson.String {
			return true
		}
		if p, err := time.ParseDuration(v.Str); err == nil && p > 0 {
			d = min(p, maxRetryDelay)
			return false
		}
		return true
	})
	return d
}

func malformed(cause error) *llm.Error { return providers.Malformed(Type, cause) }

// Chat sends a non-streamed chat completion.
func (c *Client) Chat(ctx context.Context, req *llm.ChatRequest, model string) (*llm.Response, error) {
	body, err := c.chatBody(ctx, req, model)
	if err != nil {
		return nil, err
	}
	out, err := c.http.PostJSON(ctx, c.endpoint(model, "generateContent"), body)
	if err != nil {
		return nil, err
	}
	res := &responseTranslator{model: model, created: c.now().Unix(), newID: c.newID, nextCall: nextCallIndex(req)}
	b, usage, err := res.translate(out)
	if err != nil {
		return nil, err
	}
	return &llm.Response{Body: b, Usage: usage}, nil
}

// ChatStream starts a streamed chat completion (streamGenerateContent?alt=sse). It returns
// once the upstream has answered with a success status; chunks are read by Next.
func (c *Client) ChatStream(ctx context.Context, req *llm.ChatRequest, model string) (llm.ChunkStream, error) {
	body, err := c.chatBody(ctx, req, model)
	if err != nil {
		return nil, err
	}
	n := 1
	if req.N != nil && *req.N > 1 {
		n = *req.N
	}
	t := &responseTranslator{model: model, created: c.now().Unix(), newID: c.newID, nextCall: nextCallIndex(req)}
	return c.http.OpenEvents(ctx, c.endpoint(model, "streamGenerateContent")+"?alt=sse", body, newDecoder(t, n))
}

// ListModels lists the account's model ids, without the "models/" prefix.
func (c *Client) ListModels(ctx context.Context) ([]string, error) {
	ids, err := c.http.ListModels(ctx, providers.ModelPages{URL: c.base + "/models?pageSize=1000", List: "models", ID: "name",
		Param: "pageToken", Missing: true, Next: func(page []byte, _ string) string { return gjson.GetBytes(page, "nextPageToken").Str }})
	for i, id := range ids {
		ids[i] = strings.TrimPrefix(id, "models/")
	}
	return ids, err
}

var (
	_ providers.Provider    = (*Client)(nil)
	_ providers.Embedder    = (*Client)(nil)
	_ providers.ModelLister = (*Client)(nil)
)
