package openai

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
	"github.com/conduit-gw/conduit/internal/providers/providertest"
)

func providersConfig(typ, base, key, version string) providers.Config {
	return providers.Config{Type: typ, BaseURL: base, APIKey: key, APIVersion: version, Client: &http.Client{}}
}

func TestNew(t *testing.T) {
	for _, tt := range []struct {
		typ, base, key string
		wantBase       string
		wantErr        string
	}{
		{typ: "openai", key: "k", wantBase: "https://api.openai.com/v1"},
		{typ: "openai", key: "k", base: "https://gw.example.com/v1///", wantBase: "https://gw.example.com/v1"},
		{typ: "openai", wantErr: "api_key is required"},
		{typ: "groq", key: "k", wantBase: "https://api.groq.com/openai/v1"},
		{typ: "mistral", key: "k", wantBase: "https://api.mistral.ai/v1"},
		{typ: "openrouter", key: "k", wantBase: "https://openrouter.ai/api/v1"},
		{typ: "ollama", wantBase: "http://127.0.0.1:11434/v1"},
		{typ: "azure", key: "k", wantErr: "base_url is required"},
		{typ: "azure", base: "https://res.openai.azure.com", wantErr: "api_key is required"},
		{typ: "openai_compatible", wantErr: "base_url is required"},
		{typ: "openai_compatible", base: "http://localhost:8000/v1", wantBase: "http://localhost:8000/v1"},
		{typ: "openai_compatible", base: "localhost:8000/v1", wantErr: "bad base_url"},
		{typ: "openai_compatible", base: "api.example.com", wantErr: "bad base_url"},
		{typ: "openai", key: "k", base: "ftp://example.com/v1", wantErr: "bad base_url"},
		{typ: "openai", key: "k", base: "https://example.com/v1?x=1", wantErr: "bad base_url"},
		{typ: "openai", key: " \n", wantErr: "api_key is required"},
	} {
		r := providers.NewRegistry()
		Register(r)
		p, err := r.New(providers.Config{Type: tt.typ, BaseURL: tt.base, APIKey: tt.key})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), tt.typ+": ") {
				t.Errorf("%s %q: err = %v, want %q", tt.typ, tt.base, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.typ, err)
			continue
		}
		c, ok := p.(*Client)
		if rc, native := p.(*ResponsesClient); native {
			c, ok = rc.Client, true
		}
		if _, native := p.(providers.ResponsesAPI); native != (tt.typ == "openai" || tt.typ == "azure") {
			t.Errorf("%s: serves the Responses API natively: %v", tt.typ, native)
		}
		if !ok {
			t.Fatalf("%s: %T", tt.typ, p)
		}
		if c.base != tt.wantBase || c.http.Client == nil {
			t.Errorf("%s: base = %q, want %q", tt.typ, c.base, tt.wantBase)
		}
		if got := r.DefaultBaseURL(tt.typ); tt.base == "" && got != tt.wantBase {
			t.Errorf("DefaultBaseURL(%s) = %q", tt.typ, got)
		}
	}
	c, err := New(variantNamed(t, "openai"), providersConfig("openai", "", "sk-abc\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	if req, err := c.http.NewRequest(context.Background(), "GET", c.base, nil); err != nil || req.Header.Get("Authorization") != "Bearer sk-abc" {
		t.Errorf("Authorization %q, %v", req.Header.Get("Authorization"), err)
	}
	r := providers.NewRegistry()
	Register(r)
	want := []string{"openai", "azure", "groq", "mistral", "openrouter", "ollama", "openai_compatible"}
	if got := r.Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Names() = %v", got)
	}
	for _, tt := range []struct {
		name, label, hint, version string
		keyOptional, responses     bool
	}{
		{name: "openai", label: "OpenAI", responses: true},
		{name: "azure", label: "Azure OpenAI", hint: "https://<resource>.openai.azure.com", version: DefaultAzureAPIVersion, responses: true},
		{name: "ollama", label: "Ollama", keyOptional: true},
		{name: "openai_compatible", label: "OpenAI-compatible", hint: "https://host/v1", keyOptional: true},
	} {
		typ, _ := r.Lookup(tt.name)
		if typ.Label != tt.label || typ.BaseURLHint != tt.hint || typ.DefaultAPIVersion != tt.version ||
			typ.APIVersion != (tt.version != "") || typ.KeyOptional != tt.keyOptional ||
			slices.Contains(typ.Capabilities, providers.CapResponses) != tt.responses {
			t.Errorf("%s: %+v", tt.name, typ)
		}
	}
}

func TestAzureEndpoints(t *testing.T) {
	for _, tt := range []struct{ base, version, op, model, want string }{
		{"https://res.openai.azure.com", "", "chat/completions", "gpt-4o",
			"https://res.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=" + DefaultAzureAPIVersion},
		{"https://res.openai.azure.com/openai/", "2025-01-01-preview", "embeddings", "embed",
			"https://res.openai.azure.com/openai/deployments/embed/embeddings?api-version=2025-01-01-preview"},
		{"https://res.cognitiveservices.azure.com", "2024-10-21", "images/generations", "dall e/3?",
			"https://res.cognitiveservices.azure.com/openai/deployments/dall%20e%2F3%3F/images/generations?api-version=2024-10-21"},
	} {
		c, err := New(variantNamed(t, "azure"), providersConfig("azure", tt.base, "k", tt.version))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.endpoint(tt.op, tt.model); got != tt.want {
			t.Errorf("endpoint = %s\nwant       %s", got, tt.want)
		}
	}
}

// TestBuiltRequest covers requests built in code (no client bytes): they are encoded from the
// struct, with "stream" matching the call.
func TestBuiltRequest(t *testing.T) {
	up := providertest.NewUpstream(t, answer)
	c := newClient(t, "openai", up.URL, "k")
	req := &llm.ChatRequest{Model: "alias", Messages: []llm.Message{{Role: llm.RoleUser, Content: llm.Content{Text: "hi"}}}}
	if _, err := c.Chat(context.Background(), req, "gpt-4o"); err != nil {
		t.Fatal(err)
	}
	if got, want := string(up.Last(t).Body), `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`; got != want {
		t.Errorf("body %s, want %s", got, want)
	}
	st, err := c.ChatStream(context.Background(), req, "gpt-4o")
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if got, want := string(up.Last(t).Body), `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}`; got != want {
		t.Errorf("stream body %s, want %s", got, want)
	}
	if req.Stream || req.StreamOptions != nil {
		t.Error("the request was modified")
	}
	emb := &llm.EmbeddingsRequest{Model: "alias", Input: []byte(`["a"]`), EncodingFormat: "base64"}
	if _, err := c.Embeddings(context.Background(), emb, "text-embedding-3-small"); err != nil {
		t.Fatal(err)
	}
	if got, want := string(up.Last(t).Body), `{"model":"text-embedding-3-small","input":["a"],"encoding_format":"base64"}`; got != want {
		t.Errorf("embeddings body %s, want %s", got, want)
	}
}

// TestRawNotModified: the router may replay one request on several deployments.
func TestRawNotModified(t *testing.T) {
	up := providertest.NewUpstream(t, answer)
	raw := `{"model":"alias","messages":[{"role":"user","content":"hi"}],"stream":true}`
	req := &llm.ChatRequest{Model: "alias", Stream: true, Raw: []byte(raw)}
	for _, v := range []string{"openai", "mistral"} {
		c := newClient(t, v, up.URL, "k")
		st, err := c.ChatStream(context.Background(), req, v+"-model")
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		if string(req.Raw) != raw {
			t.Fatalf("Raw changed to %s", req.Raw)
		}
	}
	body := []byte(`{"model":"a","prompt":"p"}`)
	if _, err := newClient(t, "openai", up.URL, "k").GenerateImages(context.Background(), body, "dall-e-3"); err != nil {
		t.Fatal(err)
	}
	if string(body) != `{"model":"a","prompt":"p"}` {
		t.Errorf("image body changed to %s", body)
	}
}
