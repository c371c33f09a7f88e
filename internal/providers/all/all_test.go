package all

import (
	"slices"
	"testing"

	"github.com/conduit-gw/conduit/internal/providers"
)

// TestTypesTellTheTruth: every registered type is labelled, builds an adapter, and lists
// exactly the capabilities its adapter implements.
func TestTypesTellTheTruth(t *testing.T) {
	r := providers.NewRegistry()
	Register(r)
	if len(r.Types()) < 10 {
		t.Fatalf("%d types registered: %v", len(r.Types()), r.Names())
	}
	for _, typ := range r.Types() {
		if typ.Label == typ.Name {
			t.Errorf("%s: no label", typ.Name)
		}
		if typ.DefaultBaseURL == "" && typ.BaseURLHint == "" {
			t.Errorf("%s: no default base URL and no hint for one", typ.Name)
		}
		p, err := r.New(providers.Config{Type: typ.Name, BaseURL: "https://upstream.example/v1", APIKey: "k"})
		if err != nil {
			t.Errorf("%s: %v", typ.Name, err)
			continue
		}
		_, embeds := p.(providers.Embedder)
		_, images := p.(providers.ImageGenerator)
		_, lists := p.(providers.ModelLister)
		_, responses := p.(providers.ResponsesAPI)
		_, messages := p.(providers.MessagesAPI)
		for capability, has := range map[string]bool{providers.CapChat: true, providers.CapEmbeddings: embeds,
			providers.CapImages: images, providers.CapModels: lists, providers.CapResponses: responses,
			providers.CapMessages: messages} {
			if slices.Contains(typ.Capabilities, capability) != has {
				t.Errorf("%s: capabilities %v, adapter implements %s: %v", typ.Name, typ.Capabilities, capability, has)
			}
		}
	}
}
