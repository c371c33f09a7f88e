// Package gemini is the adapter for Google's Gemini API (Google AI Studio): it translates
// OpenAI chat completions and embeddings to generateContent / batchEmbedContents and back.
package gemini

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
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

const (
	// maxResponseBytes bounds a non-streamed upstream body.
	maxResponseBytes = 64 << 20
	// maxErrorBody bounds the error body read from a failed response.
	maxErrorBody = 64 << 10
)

// Register adds the gemini adapter to r.
func Register(r *providers.Registry) {
	r.Register(Type, func(cfg providers.Config) (providers.Provider, error) { return New(cfg) })
	r.SetDefaultBaseURL(Type, DefaultBaseURL)
}

// Client talks to one Gemini API account.
type Client struct {
	base   string
	apiKey string
	http   *http.Client
	media  *mediaLoader

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
		base:   base,
		apiKey: cfg.APIKey,
		http:   hc,
		media:  newMediaLoader(hc),
		now:    time.Now,
		newID:  randomID,
	}, nil
}

// randomID returns a fresh chat completion id for responses that carry no responseId.
func randomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
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

func (c *Client) newRequest(ctx context.Context, method, u string, body []byte) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return nil, fmt.Errorf("gemini: build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	req.Header.Set("x-goog-api-key", c.apiKey)
	return req, nil
}

// do sends the request; on a non-2xx status it reads the body and returns a mapped error.
func (c *Client) do(req *http.Request) (*http.Response, error) {
	resp, err := providers.Send(c.http, req)
	if err != nil {
		return nil, providers.TransportError(Type, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return nil, statusError(resp, body)
	}
	return resp, nil
}

// statusError maps a Gemini error response ({"error":{"code","message","status","details"}}).
func statusError(resp *http.Response, body []byte) *llm.Error {
	e := providers.StatusError(Type, resp, body, "error.message", "message", "error")
	status := gjson.GetBytes(body, "error.status").Str
	switch {
	case resp.StatusCode == http.StatusBadRequest && hasReason(body, "API_KEY_INVALID"):
		// Gemini answers a bad key with 400 INVALID_ARGUMENT: the gateway's fault, not the client's.
		e.Status, e.Type, e.Code = http.StatusBadGateway, "upstream_error", llm.CodeUpstreamError
		e.Message = "gemini rejected the gateway's credentials (400): " + strings.TrimPrefix(e.Message, Type+": ")
	case resp.StatusCode == http.StatusBadRequest && status == "FAILED_PRECONDITION":
		// E.g. "User location is not supported" or billing not enabled on this account:
		// another deployment may well succeed.
		e.Status, e.Type, e.Code = http.StatusBadGateway, "upstream_error", llm.CodeUpstreamError
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

// postJSON sends body and returns the upstream's JSON answer.
func (c *Client) postJSON(ctx context.Context, u string, body []byte) ([]byte, error) {
	hreq, err := c.newRequest(ctx, http.MethodPost, u, body)
	if err != nil {
		return nil, err
	}
	return c.readJSON(hreq)
}

func (c *Client) readJSON(hreq *http.Request) ([]byte, error) {
	resp, err := c.do(hreq)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := providers.ReadObject(Type, resp, maxResponseBytes)
	if err != nil {
		return nil, err
	}
	if hasTopLevelError(out) {
		e := providers.StreamError(Type, out, "error.message")
		e.Retryable = true
		return nil, e
	}
	return out, nil
}

// hasTopLevelError reports whether a JSON object has a non-null top-level "error".
func hasTopLevelError(data []byte) bool {
	if !bytes.Contains(data, []byte(`"error"`)) {
		return false
	}
	r := gjson.GetBytes(data, "error")
	return r.Exists() && r.Type != gjson.Null && r.Type != gjson.False
}

func malformed(cause error) *llm.Error { return providers.Malformed(Type, cause) }

// Chat sends a non-streamed chat completion.
func (c *Client) Chat(ctx context.Context, req *llm.ChatRequest, model string) (*llm.Response, error) {
	if err := req.Decode(); err != nil { // this adapter translates the typed request
		return nil, err
	}
	body, err := c.chatBody(ctx, req, model)
	if err != nil {
		return nil, err
	}
	out, err := c.postJSON(ctx, c.endpoint(model, "generateContent"), body)
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

// maxModelPages bounds the pages ListModels follows.
const maxModelPages = 20

// ListModels lists the account's model ids, without the "models/" prefix.
func (c *Client) ListModels(ctx context.Context) ([]string, error) {
	ids := []string{}
	token := ""
	for range maxModelPages {
		u := c.base + "/models?pageSize=1000"
		if token != "" {
			u += "&pageToken=" + url.QueryEscape(token)
		}
		hreq, err := c.newRequest(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		body, err := c.readJSON(hreq)
		if err != nil {
			return nil, err
		}
		models := gjson.GetBytes(body, "models")
		if models.Exists() && !models.IsArray() {
			return nil, malformed(fmt.Errorf("gemini: models list is not {\"models\":[...]}: %.200s", body))
		}
		models.ForEach(func(_, m gjson.Result) bool {
			if name := m.Get("name"); name.Type == gjson.String && name.Str != "" {
				ids = append(ids, strings.TrimPrefix(name.Str, "models/"))
			}
			return true
		})
		token = gjson.GetBytes(body, "nextPageToken").Str
		if token == "" {
			break
		}
	}
	return ids, nil
}

var (
	_ providers.Provider    = (*Client)(nil)
	_ providers.Embedder    = (*Client)(nil)
	_ providers.ModelLister = (*Client)(nil)
)
