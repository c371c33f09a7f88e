// Package cohere is the adapter for Cohere's v2 API: it translates OpenAI chat completions and
// embeddings to /v2/chat and /v2/embed and back.
package cohere

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
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

// DefaultBaseURL is the Cohere v2 API root used when a provider sets no base_url. The model
// list lives under v1: it is read from the same host with "/v2" replaced by "/v1".
const DefaultBaseURL = "https://api.cohere.com/v2"

// Type is the provider type this package registers.
const Type = "cohere"

const (
	// maxResponseBytes bounds a non-streamed upstream body.
	maxResponseBytes = 64 << 20
	// maxErrorBody bounds the error body read from a failed response.
	maxErrorBody = 64 << 10
	// statusInvalidToken is Cohere's answer to an invalid API key on some endpoints.
	statusInvalidToken = 498
)

// errorPaths locate the message of a Cohere error body ({"id":…,"message":…}).
func errorPaths() []string { return []string{"message", "error.message", "error", "detail"} }

// Register adds the cohere adapter to r.
func Register(r *providers.Registry) {
	r.Register(Type, func(cfg providers.Config) (providers.Provider, error) { return New(cfg) })
	r.SetDefaultBaseURL(Type, DefaultBaseURL)
}

// Client talks to one Cohere account.
type Client struct {
	base   string
	apiKey string
	http   *http.Client

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
	return &Client{base: base, apiKey: cfg.APIKey, http: hc, now: time.Now, newID: randomID}, nil
}

func randomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// marshal encodes v on one line without escaping <, > and &.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("cohere: encode: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func (c *Client) newRequest(ctx context.Context, method, u string, body []byte) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return nil, fmt.Errorf("cohere: build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
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
		if resp.StatusCode == statusInvalidToken {
			// "Invalid token": the gateway's credentials, like a 401.
			r := *resp
			r.StatusCode = http.StatusUnauthorized
			e := providers.StatusError(Type, &r, body, errorPaths()...)
			e.Message = strings.Replace(e.Message, "(401)", "(498)", 1)
			return nil, e
		}
		return nil, providers.StatusError(Type, resp, body, errorPaths()...)
	}
	return resp, nil
}

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
	return out, nil
}

func malformed(cause error) *llm.Error { return providers.Malformed(Type, cause) }

// Chat sends a non-streamed chat completion.
func (c *Client) Chat(ctx context.Context, req *llm.ChatRequest, model string) (*llm.Response, error) {
	if err := req.Decode(); err != nil { // this adapter translates the typed request
		return nil, err
	}
	body, err := chatBody(req, model, false)
	if err != nil {
		return nil, err
	}
	out, err := c.postJSON(ctx, c.base+"/chat", body)
	if err != nil {
		return nil, err
	}
	b, usage, err := translateResponse(out, model, c.now().Unix(), c.newID)
	if err != nil {
		return nil, err
	}
	return &llm.Response{Body: b, Usage: usage}, nil
}

// maxModelPages bounds the pages ListModels follows.
const maxModelPages = 20

// modelsURL returns the v1 model list next to the v2 base.
func (c *Client) modelsURL() string {
	return strings.TrimSuffix(c.base, "/v2") + "/v1/models?page_size=1000"
}

// ListModels lists the account's model names.
func (c *Client) ListModels(ctx context.Context) ([]string, error) {
	ids := []string{}
	token := ""
	for range maxModelPages {
		u := c.modelsURL()
		if token != "" {
			u += "&page_token=" + url.QueryEscape(token)
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
		if !models.IsArray() {
			return nil, malformed(fmt.Errorf("cohere: models list is not {\"models\":[...]}: %.200s", body))
		}
		models.ForEach(func(_, m gjson.Result) bool {
			if name := m.Get("name"); name.Type == gjson.String && name.Str != "" {
				ids = append(ids, name.Str)
			}
			return true
		})
		token = gjson.GetBytes(body, "next_page_token").Str
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
