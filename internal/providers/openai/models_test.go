package openai

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/conduit-gw/conduit/internal/providers"
	"github.com/conduit-gw/conduit/internal/providers/providertest"
)

func TestListModels(t *testing.T) {
	tests := []struct {
		name, variant, base, version, file string
		wantURL                            string
		wantAuth, wantKey                  string
		want                               []string
	}{
		{name: "openai", variant: "openai", base: "/v1", file: "models_openai.json", wantURL: "/v1/models",
			wantAuth: "Bearer k", want: []string{"gpt-4o-2024-08-06", "text-embedding-3-small", "ft:gpt-4o-mini-2024-07-18:acme::9nEfW6Zk"}},
		{name: "azure", variant: "azure", base: "", file: "models_azure.json",
			wantURL: "/openai/models?api-version=" + DefaultAzureAPIVersion, wantKey: "k", want: []string{"gpt-4o-2024-08-06", "text-embedding-3-large"}},
		{name: "azure base with /openai", variant: "azure", base: "/openai", version: "2025-01-01-preview", file: "models_azure.json",
			wantURL: "/openai/models?api-version=2025-01-01-preview", wantKey: "k", want: []string{"gpt-4o-2024-08-06", "text-embedding-3-large"}},
		{name: "ollama empty", variant: "ollama", base: "/v1", file: "models_ollama_empty.json", wantURL: "/v1/models", want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := providertest.ReadFile(t, "testdata/responses/"+tt.file)
			up := serveFile(t, 200, "application/json", body)
			key := "k"
			if tt.variant == "ollama" {
				key = ""
			}
			c, err := New(variantNamed(t, tt.variant), providersConfig(tt.variant, up.URL+tt.base, key, tt.version))
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.ListModels(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got == nil || strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("models %q, want %q", got, tt.want)
			}
			r := up.Last(t)
			if r.Method != http.MethodGet || r.URL != tt.wantURL || len(r.Body) != 0 {
				t.Errorf("%s %s (%d body bytes), want GET %s", r.Method, r.URL, len(r.Body), tt.wantURL)
			}
			if r.Header.Get("Authorization") != tt.wantAuth || r.Header.Get("Api-Key") != tt.wantKey || r.Header.Get("Content-Type") != "" {
				t.Errorf("headers %v", r.Header)
			}
		})
	}
}

func TestListModelsErrors(t *testing.T) {
	for _, tt := range []struct {
		name        string
		status      int
		body        string
		wantStatus  int
		wantMessage string
	}{
		{"401", 401, `{"error":{"message":"Incorrect API key provided: sk-***.","type":"invalid_request_error","code":"invalid_api_key"}}`,
			502, "openai rejected the gateway's credentials (401): Incorrect API key provided: [redacted]"},
		{"html 200", 200, `<!doctype html><title>Open WebUI</title>`, 502, "openai returned a malformed response"},
		{"no data", 200, `{"models":[{"name":"llama3"}]}`, 502, "openai returned a malformed response"},
		{"data not a list", 200, `{"data":{"id":"x"}}`, 502, "openai returned a malformed response"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			up := serveFile(t, tt.status, "application/json", []byte(tt.body))
			got, err := newClient(t, "openai", up.URL, "k").ListModels(context.Background())
			if got != nil {
				t.Errorf("models %q", got)
			}
			e := providertest.AsLLMError(t, err)
			if e.Status != tt.wantStatus || e.Message != tt.wantMessage {
				t.Errorf("got %s", providertest.Describe(err))
			}
		})
	}
	// Entries without a usable id are skipped.
	up := serveFile(t, 200, "application/json", []byte(`{"data":[{"id":"a"},{"id":""},{"name":"b"},{"id":7},{"id":"c"}]}`))
	got, err := newClient(t, "openai", up.URL, "k").ListModels(context.Background())
	if err != nil || strings.Join(got, ",") != "a,c" {
		t.Errorf("got %q, %v", got, err)
	}
}

// TestListModelsOptional: an openai_compatible upstream that answers GET /models with 404, 405
// or 501 is reachable with no model list (ErrNoModelList); any other failure, and the same
// answers from a provider whose models list always exists, stay errors.
func TestListModelsOptional(t *testing.T) {
	for _, tt := range []struct {
		variant    string
		status     int
		wantNoList bool
	}{
		{"openai_compatible", 404, true},
		{"openai_compatible", 405, true},
		{"openai_compatible", 501, true},
		{"openai_compatible", 500, false},
		{"openai_compatible", 401, false},
		{"openai", 404, false},
		{"ollama", 404, false},
	} {
		up := serveFile(t, tt.status, "application/json", []byte(`{"error":{"message":"no such route"}}`))
		got, err := newClient(t, tt.variant, up.URL+"/v1", "k").ListModels(context.Background())
		if got != nil || err == nil || errors.Is(err, providers.ErrNoModelList) != tt.wantNoList {
			t.Errorf("%s answering %d: models %q, err %v; want ErrNoModelList %v", tt.variant, tt.status, got, err, tt.wantNoList)
		}
	}
}
