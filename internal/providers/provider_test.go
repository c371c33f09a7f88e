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
	if r.Has("x") || len(r.Types()) != 0 {
		t.Fatal("new registry not empty")
	}
	r.Register("zeta", func(c Config) (Provider, error) { return fake{c}, nil })
	r.Register("alpha", func(c Config) (Provider, error) { return fake{c}, nil })
	if got := strings.Join(r.Types(), ","); got != "alpha,zeta" {
		t.Errorf("Types() = %s", got)
	}
	if !r.Has("alpha") || r.Has("beta") {
		t.Error("Has")
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
	defer func() {
		if recover() == nil {
			t.Error("duplicate registration did not panic")
		}
	}()
	r.Register("alpha", func(c Config) (Provider, error) { return fake{c}, nil })
}
