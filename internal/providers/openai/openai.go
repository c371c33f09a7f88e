// Package openai is the adapter for the OpenAI wire family: openai, azure, groq, mistral,
// openrouter, ollama (its /v1 API) and any openai_compatible server.
package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

// Variant is what differs between members of the family.
type Variant struct {
	Name           string // provider type, used in error messages
	Label          string // as the UI shows it
	GenAIName      string // gen_ai.provider.name, when it is not Name
	DefaultBaseURL string // empty: base_url is required
	BaseURLHint    string // an example base URL, for a variant without a default
	// StreamUsage: the upstream accepts stream_options.include_usage.
	StreamUsage bool
	// Azure: deployment URLs, api-key header and api-version query.
	Azure bool
	// KeyOptional: the upstream runs without an API key (local servers).
	KeyOptional bool
	// Responses: the upstream serves the Responses API, which Responses requests reach
	// natively. ResponsesOptional: it may, as the provider's responses_api setting says.
	Responses, ResponsesOptional bool
	// Audio: the upstream serves /audio/transcriptions, /audio/translations and /audio/speech.
	Audio bool
	// Rerank: the upstream serves a Cohere-shaped /rerank (Jina, vLLM, Infinity).
	Rerank bool
	// ModelsOptional: the upstream may not serve GET /models (a small local server); one
	// that answers it with 404, 405 or 501 is reachable, with no model list.
	ModelsOptional bool
}

// Variants of the family, by provider type.
func variants() []Variant {
	return []Variant{
		{Name: "openai", Label: "OpenAI", DefaultBaseURL: "https://api.openai.com/v1", StreamUsage: true, Responses: true, Audio: true},
		{Name: "azure", Label: "Azure OpenAI", GenAIName: "azure.ai.openai", BaseURLHint: "https://<resource>.openai.azure.com", StreamUsage: true,
			Azure: true, Responses: true, Audio: true},
		{Name: "groq", Label: "Groq", DefaultBaseURL: "https://api.groq.com/openai/v1", StreamUsage: true, Audio: true},
		{Name: "mistral", Label: "Mistral", GenAIName: "mistral_ai", DefaultBaseURL: "https://api.mistral.ai/v1"},
		{Name: "openrouter", Label: "OpenRouter", DefaultBaseURL: "https://openrouter.ai/api/v1", StreamUsage: true},
		{Name: "ollama", Label: "Ollama", DefaultBaseURL: "http://127.0.0.1:11434/v1", StreamUsage: true, KeyOptional: true},
		{Name: "openai_compatible", Label: "OpenAI-compatible", BaseURLHint: "https://host/v1", StreamUsage: true,
			KeyOptional: true, ResponsesOptional: true, Audio: true, Rerank: true, ModelsOptional: true},
	}
}

// DefaultAzureAPIVersion is used when an azure provider sets none.
const DefaultAzureAPIVersion = "2024-10-21"

// Register adds every variant of the family to r.
func Register(r *providers.Registry) {
	for _, v := range variants() {
		r.Register(v.Type())
	}
}

// Type describes the variant as a provider type.
func (v Variant) Type() providers.Type {
	t := providers.Type{Name: v.Name, Label: v.Label, GenAIName: v.GenAIName, DefaultBaseURL: v.DefaultBaseURL, BaseURLHint: v.BaseURLHint,
		KeyOptional: v.KeyOptional, New: v.Factory(),
		Capabilities: []string{providers.CapChat, providers.CapEmbeddings, providers.CapImages, providers.CapModels,
			providers.CapCompletions, providers.CapModerations}}
	if v.Azure {
		t.APIVersion, t.DefaultAPIVersion = true, DefaultAzureAPIVersion
	}
	for _, c := range []struct {
		on  bool
		cap string
	}{{v.Responses, providers.CapResponses}, {v.Audio, providers.CapAudio}, {v.Rerank, providers.CapRerank}} {
		if c.on {
			t.Capabilities = append(t.Capabilities, c.cap)
		}
	}
	return t
}

// Factory returns the providers.Factory of this variant.
func (v Variant) Factory() providers.Factory {
	return func(cfg providers.Config) (providers.Provider, error) {
		c, err := New(v, cfg)
		if err != nil {
			return nil, err
		}
		if v.Responses || (v.ResponsesOptional && cfg.ResponsesAPI) {
			return &ResponsesClient{Client: c}, nil
		}
		return c, nil
	}
}

// Client talks to one provider account of the family.
type Client struct {
	v          Variant
	base       string
	apiVersion string
	http       providers.HTTP
	readers    sync.Pool // *streamBufs of finished streams
}

// New builds a client; it fails on a missing base URL or API key.
func New(v Variant, cfg providers.Config) (*Client, error) {
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = v.DefaultBaseURL
	}
	if base == "" {
		return nil, fmt.Errorf("%s: base_url is required", v.Name)
	}
	if u, err := url.Parse(base); err != nil {
		return nil, fmt.Errorf("%s: bad base_url: %w", v.Name, err)
	} else if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s: bad base_url %q: want http(s)://host[/path]", v.Name, base)
	}
	// A key pasted with its line break would make every request fail in net/http.
	key := strings.TrimSpace(cfg.APIKey)
	if key == "" && !v.KeyOptional {
		return nil, fmt.Errorf("%s: api_key is required", v.Name)
	}
	hc := cfg.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	c := &Client{v: v, base: base, apiVersion: strings.TrimSpace(cfg.APIVersion), http: providers.HTTP{
		Name: v.Name, Client: hc, Auth: auth(v, key), ErrorPaths: errorMessagePaths,
		LateError: providers.HasTopLevelError, JSONLabelledStreams: true,
	}}
	if v.Azure && c.apiVersion == "" {
		c.apiVersion = DefaultAzureAPIVersion
	}
	return c, nil
}

// auth sets the key: as api-key for Azure, as a bearer token for the others. The header value
// is built once and shared by every request (net/http only reads it).
func auth(v Variant, key string) func(http.Header) {
	switch {
	case key == "":
		return nil
	case v.Azure:
		val := []string{key}
		return func(h http.Header) { h["Api-Key"] = val }
	}
	val := []string{"Bearer " + key}
	return func(h http.Header) { h["Authorization"] = val }
}

// endpoint returns the URL of an operation ("chat/completions", "embeddings", ...).
func (c *Client) endpoint(op, model string) string {
	if c.v.Azure {
		base := c.base
		if !strings.HasSuffix(base, "/openai") {
			base += "/openai"
		}
		return base + "/deployments/" + url.PathEscape(model) + "/" + op + "?api-version=" + url.QueryEscape(c.apiVersion)
	}
	return c.base + "/" + op
}

// chatBody returns the upstream request body: the client's bytes with the model replaced and,
// for streams, usage requested. Upstreams without stream_options (Mistral rejects the field
// with a 422) get it removed: they report usage in their last chunk anyway.
func (c *Client) chatBody(req *llm.ChatRequest, model string, stream bool) ([]byte, error) {
	addUsage := c.v.StreamUsage && stream && !req.WantsUsage()
	// A new body each time: the router may replay req on another deployment.
	if addUsage {
		if body, ok := req.RawWithModelAndUsage(model); ok {
			return body, nil
		}
	}
	body, ok := req.RawWithModel(model)
	if !ok {
		body = req.Raw
		if body == nil {
			r := *req
			r.Stream = stream
			b, err := json.Marshal(&r)
			if err != nil {
				return nil, fmt.Errorf("%s: encode request: %w", c.v.Name, err)
			}
			body = b
		} else {
			body = bytes.Clone(body)
		}
		var err error
		if body, err = sjson.SetBytes(body, "model", model); err != nil {
			return nil, llm.InvalidRequest("model", "cannot set model: "+err.Error())
		}
	}
	var err error
	switch {
	case !c.v.StreamUsage:
		if gjson.GetBytes(body, "stream_options").Exists() {
			if body, err = sjson.DeleteBytes(body, "stream_options"); err != nil {
				return nil, llm.InvalidRequest("stream_options", "cannot remove stream_options: "+err.Error())
			}
		}
	case addUsage:
		if out, ok := req.WithUsageOption(body); ok {
			body = out
		} else if body, err = sjson.SetBytes(body, "stream_options.include_usage", true); err != nil {
			return nil, llm.InvalidRequest("stream_options", "cannot set stream_options: "+err.Error())
		}
	}
	return body, nil
}

// Chat sends a non-streamed chat completion.
func (c *Client) Chat(ctx context.Context, req *llm.ChatRequest, model string) (*llm.Response, error) {
	body, err := c.chatBody(req, model, false)
	if err != nil {
		return nil, err
	}
	return c.postJSON(ctx, c.endpoint("chat/completions", model), body)
}

// Embeddings sends an embeddings request; base64 and float encodings pass through untouched.
func (c *Client) Embeddings(ctx context.Context, req *llm.EmbeddingsRequest, model string) (*llm.Response, error) {
	body := req.Raw
	if body == nil {
		b, err := json.Marshal(req)
		if err != nil {
			return nil, fmt.Errorf("%s: encode request: %w", c.v.Name, err)
		}
		body = b
	}
	body, err := llm.WithModel(body, model)
	if err != nil {
		return nil, err
	}
	return c.postJSON(ctx, c.endpoint("embeddings", model), body)
}

// GenerateImages sends an image generation request.
func (c *Client) GenerateImages(ctx context.Context, body []byte, model string) (*llm.Response, error) {
	body, err := llm.WithModel(body, model)
	if err != nil {
		return nil, err
	}
	return c.postJSON(ctx, c.endpoint("images/generations", model), body)
}

// Moderate sends a moderation request.
func (c *Client) Moderate(ctx context.Context, body []byte, model string) (*llm.Response, error) {
	body, err := llm.WithModel(body, model)
	if err != nil {
		return nil, err
	}
	return c.postJSON(ctx, c.endpoint("moderations", model), body)
}

func (c *Client) postJSON(ctx context.Context, u string, body []byte) (*llm.Response, error) {
	out, err := c.http.PostJSON(ctx, u, body)
	if err != nil {
		return nil, err
	}
	return &llm.Response{Body: out, Usage: llm.ParseUsage(out)}, nil
}

// ListModels lists the upstream's model ids.
func (c *Client) ListModels(ctx context.Context) ([]string, error) {
	u := c.base + "/models"
	if c.v.Azure {
		u = strings.TrimSuffix(c.base, "/openai") + "/openai/models?api-version=" + url.QueryEscape(c.apiVersion)
	}
	// {"object":"list","data":[{"id":...},...]}; Ollama sends "data":null when it has no models.
	ids, err := c.http.ListModels(ctx, providers.ModelPages{URL: u, List: "data", ID: "id", Null: true})
	var e *llm.Error
	if err != nil && c.v.ModelsOptional && errors.As(err, &e) {
		switch e.UpstreamStatus {
		case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
			return nil, fmt.Errorf("%s answered GET /models with %d: %w", c.v.Name, e.UpstreamStatus, providers.ErrNoModelList)
		}
	}
	return ids, err
}

var (
	_ providers.Provider       = (*Client)(nil)
	_ providers.Embedder       = (*Client)(nil)
	_ providers.ImageGenerator = (*Client)(nil)
	_ providers.Moderator      = (*Client)(nil)
	_ providers.ModelLister    = (*Client)(nil)
)
