package providers

import (
	"fmt"
	"net/http"
	"slices"
)

// Factory builds an adapter for one provider account.
type Factory func(Config) (Provider, error)

// What an adapter can serve beyond chat, as Type.Capabilities lists it.
const (
	CapChat        = "chat"        // Provider (every adapter)
	CapEmbeddings  = "embeddings"  // Embedder
	CapImages      = "images"      // ImageGenerator
	CapModels      = "models"      // ModelLister: the connection test lists models
	CapResponses   = "responses"   // ResponsesAPI: Responses requests reach the upstream natively
	CapMessages    = "messages"    // MessagesAPI: Anthropic Messages requests reach the upstream natively
	CapCompletions = "completions" // Completer: legacy text completions
	CapModerations = "moderations" // Moderator
	CapRerank      = "rerank"      // Reranker
	CapAudio       = "audio"       // AudioAPI: transcriptions, translations and speech
)

// Type is one provider type: everything the admin API, the UI and the gateway know of it.
// An adapter package describes its types and registers them; nothing else lists them.
type Type struct {
	Name  string // as stored and sent: "openai"
	Label string // as shown: "OpenAI"
	// GenAIName is the provider as OpenTelemetry's gen_ai.provider.name names it (default Name).
	GenAIName string
	// DefaultBaseURL is used when a provider sets no base_url; "" means base_url is required.
	DefaultBaseURL string
	// BaseURLHint is an example base URL for a type without a default.
	BaseURLHint string
	// APIVersion: providers of the type set an api_version (Azure); DefaultAPIVersion is
	// used when they leave it empty.
	APIVersion        bool
	DefaultAPIVersion string
	// KeyOptional: the upstream works without an API key (local servers).
	KeyOptional bool
	// Capabilities lists what the adapter serves (Cap* constants), CapChat first.
	Capabilities []string
	// New builds an adapter for one account of the type.
	New Factory
}

// Registry holds the provider types of a build, in the order they were registered.
type Registry struct {
	types []Type
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{} }

// Register adds a type. A type without a name or factory, or registered twice, is a
// programming error and panics.
func (r *Registry) Register(t Type) {
	switch {
	case t.Name == "" || t.New == nil:
		panic("providers: a type needs a name and a factory")
	case r.index(t.Name) >= 0:
		panic("providers: duplicate registration of type " + t.Name)
	}
	if t.Label == "" {
		t.Label = t.Name
	}
	if t.GenAIName == "" {
		t.GenAIName = t.Name
	}
	if len(t.Capabilities) == 0 {
		t.Capabilities = []string{CapChat}
	}
	t.Capabilities = slices.Clip(t.Capabilities)
	r.types = append(r.types, t)
}

func (r *Registry) index(name string) int {
	return slices.IndexFunc(r.types, func(t Type) bool { return t.Name == name })
}

// Lookup returns the type of that name.
func (r *Registry) Lookup(name string) (Type, bool) {
	if i := r.index(name); i >= 0 {
		return r.types[i], true
	}
	return Type{}, false
}

// Types lists the registered types in registration order (the order the UI shows them).
func (r *Registry) Types() []Type { return slices.Clone(r.types) }

// Names lists the registered type names in registration order.
func (r *Registry) Names() []string {
	out := make([]string, len(r.types))
	for i, t := range r.types {
		out[i] = t.Name
	}
	return out
}

// DefaultBaseURL is a type's default base URL ("" when the type needs one configured or is
// unknown).
func (r *Registry) DefaultBaseURL(name string) string {
	t, _ := r.Lookup(name)
	return t.DefaultBaseURL
}

// GenAIName is a type's gen_ai.provider.name (the type's name when it is unknown).
func (r *Registry) GenAIName(name string) string {
	if t, ok := r.Lookup(name); ok {
		return t.GenAIName
	}
	return name
}

// New builds an adapter for cfg.Type.
func (r *Registry) New(cfg Config) (Provider, error) {
	t, ok := r.Lookup(cfg.Type)
	if !ok {
		return nil, fmt.Errorf("provider type %q has no adapter in this build", cfg.Type)
	}
	if cfg.Client == nil {
		cfg.Client = http.DefaultClient
	}
	return t.New(cfg)
}
