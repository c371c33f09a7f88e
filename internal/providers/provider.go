// Package providers defines what a provider adapter is and builds adapters by type.
package providers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/conduit-gw/conduit/internal/llm"
)

// Config is what an adapter needs to reach one provider account.
type Config struct {
	Type       string
	BaseURL    string // empty: the type's default
	APIKey     string
	APIVersion string
	// Client is shared by every adapter; its transport pools connections.
	Client *http.Client
}

// Provider is the core every adapter implements: chat completions, whole or streamed.
// model is the provider's model (or Azure deployment) name.
type Provider interface {
	Chat(ctx context.Context, req *llm.ChatRequest, model string) (*llm.Response, error)
	ChatStream(ctx context.Context, req *llm.ChatRequest, model string) (llm.ChunkStream, error)
}

// Embedder is implemented by adapters that serve /v1/embeddings.
type Embedder interface {
	Embeddings(ctx context.Context, req *llm.EmbeddingsRequest, model string) (*llm.Response, error)
}

// ImageGenerator is implemented by adapters that serve /v1/images/generations.
// body is the client's OpenAI request JSON.
type ImageGenerator interface {
	GenerateImages(ctx context.Context, body []byte, model string) (*llm.Response, error)
}

// ResponsesAPI is implemented by adapters whose upstream serves OpenAI's Responses API
// (POST /responses): body is the client's Responses request JSON, forwarded with only the
// model replaced. The stream yields each event's JSON object and ends (io.EOF) after the
// terminal response.completed, response.incomplete or response.failed event.
type ResponsesAPI interface {
	Responses(ctx context.Context, body []byte, model string) (*llm.Response, error)
	ResponsesStream(ctx context.Context, body []byte, model string) (llm.ChunkStream, error)
}

// ModelLister is implemented by adapters that can list the provider's models (used by the
// connection test and the UI's quick-add).
type ModelLister interface {
	ListModels(ctx context.Context) ([]string, error)
}

// Factory builds an adapter for one provider account.
type Factory func(Config) (Provider, error)

// Registry maps provider types to factories.
type Registry struct {
	factories map[string]Factory
	baseURLs  map[string]string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{factories: map[string]Factory{}, baseURLs: map[string]string{}}
}

// SetDefaultBaseURL records the base URL a type uses when a provider sets none.
func (r *Registry) SetDefaultBaseURL(typ, url string) { r.baseURLs[typ] = url }

// DefaultBaseURL is a type's default base URL ("" when the type needs one configured).
func (r *Registry) DefaultBaseURL(typ string) string { return r.baseURLs[typ] }

// Register adds a factory for a type. A duplicate type is a programming error and panics.
func (r *Registry) Register(typ string, f Factory) {
	if _, dup := r.factories[typ]; dup {
		panic("providers: duplicate registration of type " + typ)
	}
	r.factories[typ] = f
}

// Has reports whether a type has an adapter.
func (r *Registry) Has(typ string) bool { _, ok := r.factories[typ]; return ok }

// Types lists the registered types, sorted.
func (r *Registry) Types() []string {
	out := make([]string, 0, len(r.factories))
	for t := range r.factories {
		out = append(out, t)
	}
	sort.Strings(out)
	return slices.Clip(out)
}

// New builds an adapter for cfg.Type.
func (r *Registry) New(cfg Config) (Provider, error) {
	f, ok := r.factories[cfg.Type]
	if !ok {
		return nil, fmt.Errorf("provider type %q has no adapter in this build", cfg.Type)
	}
	if cfg.Client == nil {
		cfg.Client = http.DefaultClient
	}
	return f(cfg)
}

// Check validates cfg for the adapter name and resolves its defaults: the base URL (trailing
// slashes trimmed; defaultBase when empty) must be an absolute http(s) URL, the API key must
// be set, and the client is http.DefaultClient when none was given.
func (c Config) Check(name, defaultBase string) (base string, hc *http.Client, err error) {
	base = strings.TrimRight(c.BaseURL, "/")
	if base == "" {
		base = defaultBase
	}
	if u, err := url.Parse(base); err != nil {
		return "", nil, fmt.Errorf("%s: bad base_url: %w", name, err)
	} else if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", nil, fmt.Errorf("%s: bad base_url %q: not an http(s) URL", name, base)
	}
	if c.APIKey == "" {
		return "", nil, fmt.Errorf("%s: api_key is required", name)
	}
	hc = c.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	return base, hc, nil
}
