package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/conduit-gw/conduit/internal/providers/providertest"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

// requestVariants are the members of the family whose upstream requests are pinned by goldens.
var requestVariants = []struct {
	name   string
	path   string // base URL path on the fake upstream
	key    string
	models map[string]string // operation → provider model (Azure: deployment)
}{
	{"openai", "/v1", "sk-proj-test0123456789abcdef", map[string]string{
		"chat": "gpt-4o-2024-08-06", "embeddings": "text-embedding-3-small", "images": "dall-e-3"}},
	{"azure", "", "0123456789abcdef0123456789abcdef", map[string]string{
		"chat": "gpt-4o-prod", "embeddings": "embed-3-small", "images": "dalle3-eastus"}},
	{"mistral", "/v1", "mistral-test-key-0123", map[string]string{
		"chat": "mistral-large-latest", "embeddings": "mistral-embed"}},
	{"ollama", "/v1", "", map[string]string{
		"chat": "llama3.2:3b", "embeddings": "nomic-embed-text:latest"}},
}

// answer is a minimal successful upstream for every operation.
func answer(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.Contains(r.URL.Path, "/chat/completions") && r.Header.Get("Accept") == "text/event-stream":
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"))
	case strings.Contains(r.URL.Path, "/chat/completions"):
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`))
	case strings.Contains(r.URL.Path, "/embeddings"):
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1]}],"model":"m","usage":{"prompt_tokens":1,"total_tokens":1}}`))
	case strings.Contains(r.URL.Path, "/images/generations"):
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"created":1,"data":[{"url":"https://example.com/a.png"}]}`))
	default:
		http.NotFound(w, r)
	}
}

// TestRequestGoldens sends each testdata/requests/<case>.json as a client would through every
// variant and pins what the upstream receives in <case>.<variant>.golden.json.
func TestRequestGoldens(t *testing.T) {
	cases, err := filepath.Glob("testdata/requests/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, in := range cases {
		if strings.HasSuffix(in, ".golden.json") {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		// Clients send no trailing newline; the fixture files end with one.
		body := bytes.TrimRight(providertest.ReadFile(t, in), "\n")
		op, _, _ := strings.Cut(name, "_")
		for _, v := range requestVariants {
			model, ok := v.models[op]
			if !ok {
				continue
			}
			n++
			t.Run(name+"/"+v.name, func(t *testing.T) {
				up := providertest.NewUpstream(t, answer)
				c := newClient(t, v.name, up.URL+v.path, v.key)
				stream := sendRequest(t, c, op, body, model)
				got := up.Last(t)
				checkForwarded(t, c.v, body, got.Body, model, stream)
				providertest.Golden(t, filepath.Join("testdata/requests", name+"."+v.name+".golden.json"), renderRequest(got), *update)
			})
		}
	}
	if n < 20 {
		t.Fatalf("only %d golden requests", n)
	}
}

// sendRequest decodes body as the client API does and calls the adapter; it reports whether
// the request was a stream.
func sendRequest(t *testing.T, c *Client, op string, body []byte, model string) bool {
	t.Helper()
	ctx := context.Background()
	switch op {
	case "chat":
		req, err := llm.ParseChatRequest(body) // as the server reads it
		if err != nil {
			t.Fatal(err)
		}
		if req.Stream {
			st, err := c.ChatStream(ctx, req, model)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if chunk, err := st.Next(); err != nil || !gjson.ValidBytes(chunk) {
				t.Fatalf("first chunk %s, %v", chunk, err)
			}
			return true
		}
		resp, err := c.Chat(ctx, req, model)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Usage.TotalTokens != 2 {
			t.Errorf("usage %+v", resp.Usage)
		}
	case "embeddings":
		var req llm.EmbeddingsRequest
		if err := json.Unmarshal(body, &req); err != nil {
			t.Fatal(err)
		}
		if err := req.Validate(); err != nil {
			t.Fatal(err)
		}
		req.Raw = body
		if _, err := c.Embeddings(ctx, &req, model); err != nil {
			t.Fatal(err)
		}
	case "images":
		if _, err := c.GenerateImages(ctx, body, model); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("unknown operation %q", op)
	}
	return false
}

// checkForwarded asserts the upstream body is the client's with only the model rewritten and
// stream_options adjusted as the variant needs.
func checkForwarded(t *testing.T, v Variant, client, sent []byte, model string, stream bool) {
	t.Helper()
	if got := gjson.GetBytes(sent, "model"); got.Str != model {
		t.Errorf("upstream model = %s, want %q", got.Raw, model)
	}
	so := gjson.GetBytes(sent, "stream_options")
	clientSO := gjson.GetBytes(client, "stream_options")
	switch {
	case !v.StreamUsage:
		if so.Exists() {
			t.Errorf("%s must not receive stream_options, got %s", v.Name, so.Raw)
		}
	case stream:
		if !gjson.GetBytes(sent, "stream_options.include_usage").Bool() {
			t.Errorf("stream without stream_options.include_usage:true: %s", so.Raw)
		}
	default:
		if so.Raw != clientSO.Raw {
			t.Errorf("stream_options changed on a non-stream request: %s → %s", clientSO.Raw, so.Raw)
		}
	}
	strip := func(b []byte) map[string]any {
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		delete(m, "model")
		delete(m, "stream_options")
		return m
	}
	if a, b := strip(client), strip(sent); !reflect.DeepEqual(a, b) {
		t.Errorf("forwarded body differs beyond model/stream_options\nclient %s\nsent   %s", client, sent)
	}
	if !stream && !bytes.Contains(client, []byte("stream_options")) {
		// Nothing but the model value may differ, byte for byte.
		i := bytes.Index(client, []byte(`"model"`))
		if i < 0 || !bytes.Equal(client[:i], sent[:i]) {
			t.Errorf("bytes before the model changed\nclient %s\nsent   %s", client, sent)
		}
	}
}

// renderRequest writes the golden form of an upstream request; the body is embedded verbatim,
// so the file pins its exact bytes.
func renderRequest(r providertest.Captured) []byte {
	var b bytes.Buffer
	b.WriteString("{\n")
	b.WriteString(`  "method": ` + jsonString(r.Method) + ",\n")
	b.WriteString(`  "url": ` + jsonString(r.URL) + ",\n")
	b.WriteString(`  "headers": {`)
	var names []string
	for _, h := range []string{"Accept", "Api-Key", "Authorization", "Content-Type"} {
		if r.Header.Get(h) != "" {
			names = append(names, h)
		}
	}
	sort.Strings(names)
	for i, h := range names {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n    " + jsonString(h) + ": " + jsonString(r.Header.Get(h)))
	}
	b.WriteString("\n  },\n")
	b.WriteString(`  "body": `)
	b.Write(r.Body)
	b.WriteString("\n}\n")
	return b.Bytes()
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestRequestHeaders checks the auth rules independently of the goldens.
func TestRequestHeaders(t *testing.T) {
	for _, tt := range []struct {
		variant, key       string
		wantAuth, wantKey  string
		wantPathPrefix     string
		wantQuery          string
		base               string // appended to the server URL
		apiVersion         string
		wantErrWithoutBase bool
	}{
		{variant: "openai", key: "sk-1", wantAuth: "Bearer sk-1", base: "/v1", wantPathPrefix: "/v1/chat/completions"},
		{variant: "groq", key: "gsk_1", wantAuth: "Bearer gsk_1", base: "/openai/v1", wantPathPrefix: "/openai/v1/chat/completions"},
		{variant: "openrouter", key: "sk-or-1", wantAuth: "Bearer sk-or-1", base: "/api/v1/", wantPathPrefix: "/api/v1/chat/completions"},
		{variant: "ollama", wantPathPrefix: "/v1/chat/completions", base: "/v1"},
		{variant: "ollama", key: "ollama", wantAuth: "Bearer ollama", base: "/v1", wantPathPrefix: "/v1/chat/completions"},
		{variant: "openai_compatible", base: "/vllm/v1", wantPathPrefix: "/vllm/v1/chat/completions"},
		{variant: "azure", key: "k", wantKey: "k", base: "", wantPathPrefix: "/openai/deployments/dep/chat/completions", wantQuery: "api-version=" + DefaultAzureAPIVersion},
		{variant: "azure", key: "k", wantKey: "k", base: "/openai/", apiVersion: "2025-01-01-preview", wantPathPrefix: "/openai/deployments/dep/chat/completions", wantQuery: "api-version=2025-01-01-preview"},
	} {
		t.Run(tt.variant+tt.base, func(t *testing.T) {
			up := providertest.NewUpstream(t, answer)
			v := variantNamed(t, tt.variant)
			c, err := New(v, providersConfig(tt.variant, up.URL+tt.base, tt.key, tt.apiVersion))
			if err != nil {
				t.Fatal(err)
			}
			req := &llm.ChatRequest{Raw: []byte(`{"model":"alias","messages":[{"role":"user","content":"hi"}]}`)}
			if _, err := c.Chat(context.Background(), req, "dep"); err != nil {
				t.Fatal(err)
			}
			got := up.Last(t)
			path, query, _ := strings.Cut(got.URL, "?")
			if path != tt.wantPathPrefix || query != tt.wantQuery {
				t.Errorf("URL = %s, want %s?%s", got.URL, tt.wantPathPrefix, tt.wantQuery)
			}
			if a := got.Header.Get("Authorization"); a != tt.wantAuth {
				t.Errorf("Authorization = %q, want %q", a, tt.wantAuth)
			}
			if k := got.Header.Get("Api-Key"); k != tt.wantKey {
				t.Errorf("api-key = %q, want %q", k, tt.wantKey)
			}
			if ct := got.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}
