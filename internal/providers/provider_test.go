package providers

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/conduit-gw/conduit/internal/llm"
)

type fake struct{ cfg Config }

func (fake) Chat(context.Context, *llm.ChatRequest, string) (*llm.Response, error) { return nil, nil }
func (fake) ChatStream(context.Context, *llm.ChatRequest, string) (llm.ChunkStream, error) {
	return nil, nil
}

func TestRegistry(t *testing.T) {
	r := NewRegistry()
	if _, ok := r.Lookup("x"); ok || len(r.Types()) != 0 {
		t.Fatal("new registry not empty")
	}
	build := func(c Config) (Provider, error) { return fake{c}, nil }
	r.Register(Type{Name: "zeta", New: build})
	r.Register(Type{Name: "alpha", Label: "Alpha", DefaultBaseURL: "https://alpha.example/v1", New: build})
	if got := strings.Join(r.Names(), ","); got != "zeta,alpha" {
		t.Errorf("Names() = %s, want registration order", got)
	}
	if typ, ok := r.Lookup("zeta"); !ok || typ.Label != "zeta" {
		t.Errorf("a type without a label is labelled by its name: %+v", typ)
	}
	if r.DefaultBaseURL("alpha") != "https://alpha.example/v1" || r.DefaultBaseURL("zeta") != "" || r.DefaultBaseURL("beta") != "" {
		t.Error("DefaultBaseURL")
	}
	p, err := r.New(Config{Type: "alpha", APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if f := p.(fake); f.cfg.Client != http.DefaultClient || f.cfg.APIKey != "k" {
		t.Errorf("config %+v", f.cfg)
	}
	own := &http.Client{}
	p, _ = r.New(Config{Type: "alpha", Client: own})
	if p.(fake).cfg.Client != own {
		t.Error("the shared client was replaced")
	}
	if _, err := r.New(Config{Type: "bedrock"}); err == nil || !strings.Contains(err.Error(), `"bedrock"`) {
		t.Errorf("unknown type: %v", err)
	}
	for name, typ := range map[string]Type{
		"duplicate":  {Name: "alpha", New: build},
		"no name":    {New: build},
		"no factory": {Name: "beta"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: registration did not panic", name)
				}
			}()
			r.Register(typ)
		}()
	}
}
