package backend

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
	"github.com/conduit-gw/conduit/internal/providers/all"
	"github.com/conduit-gw/conduit/internal/runtime"
)

// echoProvider is a test-only adapter: it answers every chat with the model it was asked for.
type echoProvider struct{ key string }

func (p echoProvider) Chat(_ context.Context, _ *llm.ChatRequest, model string) (*llm.Response, error) {
	body, _ := json.Marshal(map[string]any{"id": "chatcmpl-echo", "object": "chat.completion", "created": 1, "model": model,
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": "echo " + model + " with " + p.key}}},
		"usage": map[string]any{"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}})
	return &llm.Response{Body: body, Usage: llm.Usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3}}, nil
}

func (echoProvider) ChatStream(context.Context, *llm.ChatRequest, string) (llm.ChunkStream, error) {
	return nil, llm.Upstream("echo does not stream", nil)
}

// TestAddedProviderType: a provider type registered beside the build's adapters (what one
// new adapter folder and its line in providers/all do) is listed by the admin API with what
// the UI needs, accepted for new providers, and serves /v1 requests; nothing else names it.
func TestAddedProviderType(t *testing.T) {
	reg := providers.NewRegistry()
	all.Register(reg)
	reg.Register(providers.Type{Name: "echo_test", Label: "Echo (test)", DefaultBaseURL: "https://echo.invalid/v1",
		New: func(cfg providers.Config) (providers.Provider, error) { return echoProvider{key: cfg.APIKey}, nil }})
	e := newEnvWith(t, func(o *runtime.Options) { o.Providers = reg })

	types := e.mustAdmin(200, "GET", "/admin/provider-types", nil)["data"].([]any)
	var names []string
	var echo map[string]any
	for _, x := range types {
		m := x.(map[string]any)
		names = append(names, m["type"].(string))
		if m["type"] == "echo_test" {
			echo = m
		}
	}
	if len(types) != len(reg.Types()) || echo == nil {
		t.Fatalf("provider types %v", names)
	}
	if echo["label"] != "Echo (test)" || echo["default_base_url"] != "https://echo.invalid/v1" || echo["requires_base_url"] != false ||
		echo["api_key_optional"] != false || echo["supported"] != true {
		t.Errorf("echo_test listed as %v", echo)
	}
	if caps, _ := echo["capabilities"].([]any); len(caps) != 1 || caps[0] != providers.CapChat {
		t.Errorf("capabilities %v", echo["capabilities"])
	}

	p := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{"name": "echo", "type": "echo_test", "api_key": "sk-echo"})
	if p["default_base_url"] != "https://echo.invalid/v1" {
		t.Errorf("provider %v", p)
	}
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "echo", "provider_id": p["id"], "provider_model": "m1"})
	key := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "echo"})["key"].(string)
	resp, body := e.v1(key, "/v1/chat/completions", chat("echo", nil))
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	var out struct {
		Choices []struct{ Message struct{ Content string } }
	}
	if err := json.Unmarshal(body, &out); err != nil || len(out.Choices) != 1 || out.Choices[0].Message.Content != "echo m1 with sk-echo" {
		t.Fatalf("%v %s", err, body)
	}
}

// TestProviderTypesFromRegistry: the admin API takes the provider types, their labels and
// their required fields from the registry.
func TestProviderTypesFromRegistry(t *testing.T) {
	e := newEnv(t)
	byType := map[string]map[string]any{}
	for _, x := range e.mustAdmin(200, "GET", "/admin/provider-types", nil)["data"].([]any) {
		m := x.(map[string]any)
		byType[m["type"].(string)] = m
	}
	for _, typ := range []string{"openai", "azure", "anthropic", "gemini", "cohere", "mistral", "groq", "openrouter", "ollama", "openai_compatible"} {
		if byType[typ] == nil || byType[typ]["label"] == typ || byType[typ]["supported"] != true {
			t.Errorf("%s: %v", typ, byType[typ])
		}
	}
	if len(byType) != 10 {
		t.Errorf("%d types", len(byType))
	}
	az, ol := byType["azure"], byType["ollama"]
	if az["requires_base_url"] != true || az["api_version"] != true || az["default_api_version"] == "" || az["base_url_hint"] == "" {
		t.Errorf("azure %v", az)
	}
	if ol["requires_base_url"] != false || ol["api_key_optional"] != true || ol["default_base_url"] != "http://127.0.0.1:11434/v1" {
		t.Errorf("ollama %v", ol)
	}
	if g := byType["gemini"]["default_base_url"]; g != "https://generativelanguage.googleapis.com/v1beta" {
		t.Errorf("gemini default %v", g)
	}
	// what each type serves beyond chat, as the adapters implement it
	for typ, want := range map[string]map[string]bool{
		"openai":            {"moderations": true, "audio": true, "rerank": false},
		"groq":              {"audio": true, "rerank": false},
		"mistral":           {"audio": false},
		"openai_compatible": {"audio": true, "rerank": true},
		"cohere":            {"rerank": true, "audio": false, "moderations": false},
		"anthropic":         {"rerank": false, "audio": false},
	} {
		caps := map[string]bool{}
		for _, c := range byType[typ]["capabilities"].([]any) {
			caps[c.(string)] = true
		}
		for c, on := range want {
			if caps[c] != on {
				t.Errorf("%s: capability %s = %v, want %v (%v)", typ, c, caps[c], on, byType[typ]["capabilities"])
			}
		}
	}
	for _, tt := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "x", "type": "bedrock"}, "type"},
		{map[string]any{"name": "x", "type": "azure"}, "base_url"},
		{map[string]any{"name": "x", "type": "openai_compatible"}, "base_url"},
	} {
		if status, body := e.admin("POST", "/admin/providers", tt.body); status != 400 ||
			body["error"].(map[string]any)["field"] != tt.field {
			t.Errorf("%v: %d %v", tt.body, status, body)
		}
	}
	// api_version is kept for the types that take one only.
	p := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{"name": "o", "type": "openai", "api_version": "v9"})
	a := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{"name": "a", "type": "azure", "base_url": "https://r.openai.azure.com", "api_version": "v9"})
	if p["api_version"] != "" || a["api_version"] != "v9" {
		t.Errorf("api_version: openai %v, azure %v", p["api_version"], a["api_version"])
	}
}
