package backend

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/tidwall/gjson"
)

// fakeCohereRerank speaks Cohere's POST /v2/rerank: documents are strings, the answer carries
// only index and relevance_score (v2 has no return_documents) and bills one search unit per
// 100 documents. It keeps the last request body.
type fakeCohereRerank struct {
	mu   sync.Mutex
	last []byte
}

func (f *fakeCohereRerank) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.last = body
	f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer co-rerank-key" {
		writeJSON(w, 401, `{"id":"e1","message":"invalid api token"}`)
		return
	}
	if r.URL.Path != "/v2/rerank" {
		writeJSON(w, 404, `{"id":"e2","message":"not found"}`)
		return
	}
	in := gjson.ParseBytes(body)
	docs := in.Get("documents").Array()
	query := strings.Fields(strings.ToLower(in.Get("query").Str))
	type res struct {
		Index int     `json:"index"`
		Score float64 `json:"relevance_score"`
	}
	out := make([]res, len(docs))
	for i, d := range docs {
		if d.Type != gjson.String {
			writeJSON(w, 400, `{"id":"e3","message":"invalid request: documents must be strings"}`)
			return
		}
		hits := 0
		for _, q := range query {
			if strings.Contains(strings.ToLower(d.Str), q) {
				hits++
			}
		}
		out[i] = res{Index: i, Score: float64(hits) / float64(len(query))}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Score > out[b].Score })
	if n := in.Get("top_n"); n.Exists() && int(n.Int()) < len(out) {
		out = out[:n.Int()]
	}
	results, _ := json.Marshal(out)
	writeJSON(w, 200, fmt.Sprintf(`{"id":"07734bd2-2473-4f07-94e1-0d9f0e6843cf","results":%s,"meta":{"api_version":{"version":"2"},"billed_units":{"search_units":%d}}}`,
		results, (len(docs)+99)/100))
}

func (f *fakeCohereRerank) lastBody() gjson.Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	return gjson.ParseBytes(f.last)
}

// TestRerank: /v1/rerank in Cohere's shape reaches Cohere's native /v2/rerank (documents put
// back into the answer for return_documents) and an openai_compatible upstream's /rerank; it
// is priced per search unit (or per token where the upstream counts tokens), logged, limited
// and refused in OpenAI's error shape.
func TestRerank(t *testing.T) {
	e := newEnv(t)
	gptProvider, _ := e.setup()
	co := &fakeCohereRerank{}
	up := httptest.NewServer(co)
	t.Cleanup(up.Close)
	cp := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{"name": "co", "type": "cohere", "base_url": up.URL + "/v2", "api_key": "co-rerank-key"})
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "rerank", "provider_id": cp["id"], "provider_model": "rerank-v3.5"})
	e.mustAdmin(201, "POST", "/admin/costs", map[string]any{"model_pattern": "rerank-v3.5", "input_per_mtok": 0, "output_per_mtok": 0, "per_search_unit": 0.01})
	jp := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{"name": "jina", "type": "openai_compatible", "base_url": e.fakeURL, "api_key": testProviderKey})
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "jina", "provider_id": jp["id"], "provider_model": "jina-reranker-v2"})
	e.mustAdmin(201, "POST", "/admin/costs", map[string]any{"model_pattern": "jina-reranker-v2", "input_per_mtok": 20, "output_per_mtok": 0})
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "gpt-rerank", "provider_id": gptProvider, "provider_model": "gpt-4o-mini"})
	key := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "r", "allowed_models": []string{"rerank", "jina", "gpt-rerank"}})["key"].(string)

	docs := []any{"Berlin is the capital of Germany", map[string]any{"text": "Paris is the capital of France"}, "Bananas are yellow"}
	r, body := e.v1(key, "/v1/rerank", map[string]any{"model": "rerank", "query": "capital of France", "documents": docs, "top_n": 2, "return_documents": true})
	if r.StatusCode != 200 || r.Header.Get("x-conduit-provider") != "co" {
		t.Fatalf("cohere: %d %v %s", r.StatusCode, r.Header, body)
	}
	out := gjson.ParseBytes(body)
	if out.Get("model").Str != "rerank" || out.Get("results.#").Int() != 2 || out.Get("results.0.index").Int() != 1 ||
		out.Get("results.0.document.text").Str != "Paris is the capital of France" || out.Get("results.1.document.text").Str != "Berlin is the capital of Germany" {
		t.Fatalf("cohere answer %s", body)
	}
	sent := co.lastBody()
	if sent.Get("model").Str != "rerank-v3.5" || sent.Get("documents.1").Str != "Paris is the capital of France" || sent.Get("top_n").Int() != 2 ||
		sent.Get("return_documents").Exists() {
		t.Fatalf("cohere got %s", sent.Raw)
	}
	// 150 documents are two search units; without return_documents none come back
	many := make([]string, 150)
	for i := range many {
		many[i] = fmt.Sprintf("document %d", i)
	}
	r, body = e.v1(key, "/v1/rerank", map[string]any{"model": "rerank", "query": "document 7", "documents": many})
	if r.StatusCode != 200 || gjson.GetBytes(body, "results.#").Int() != 150 || gjson.GetBytes(body, "results.0.document").Exists() {
		t.Fatalf("150 documents: %d %s", r.StatusCode, body)
	}

	// openai_compatible: the client's body goes to /rerank as it is, priced by its tokens
	r, body = e.v1(key, "/v1/rerank", map[string]any{"model": "jina", "query": "capital of France", "documents": docs, "return_documents": true})
	if r.StatusCode != 200 || gjson.GetBytes(body, "results.0.index").Int() != 1 || gjson.GetBytes(body, "results.0.document.text").Str != "Paris is the capital of France" ||
		gjson.GetBytes(body, "model").Str != "jina" {
		t.Fatalf("openai_compatible: %d %s", r.StatusCode, body)
	}
	reqs := e.fake.Requests()
	if last := reqs[len(reqs)-1]; last.Path != "/v1/rerank" || last.Body["model"] != "jina-reranker-v2" || last.Body["return_documents"] != true {
		t.Fatalf("openai_compatible upstream got %s %s", last.Path, last.Raw)
	}

	for _, c := range []struct {
		name   string
		body   map[string]any
		status int
		code   string
		param  string
	}{
		{"no query", map[string]any{"model": "rerank", "documents": docs}, 400, "invalid_request", "query"},
		{"no documents", map[string]any{"model": "rerank", "query": "q", "documents": []any{}}, 400, "invalid_request", "documents"},
		{"bad document", map[string]any{"model": "rerank", "query": "q", "documents": []any{3}}, 400, "invalid_request", "documents"},
		{"bad top_n", map[string]any{"model": "rerank", "query": "q", "documents": docs, "top_n": 0}, 400, "invalid_request", "top_n"},
		{"no model", map[string]any{"query": "q", "documents": docs}, 400, "invalid_request", "model"},
		{"not allowed", map[string]any{"model": "gpt", "query": "q", "documents": docs}, 403, "model_not_allowed", ""},
		{"unsupported provider", map[string]any{"model": "gpt-rerank", "query": "q", "documents": docs}, 400, "invalid_request", "model"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, body := e.v1(key, "/v1/rerank", c.body)
			if r.StatusCode != c.status || errorCode(t, body) != c.code || gjson.GetBytes(body, "error.param").Str != c.param {
				t.Fatalf("%d %s", r.StatusCode, body)
			}
		})
	}

	costs := map[float64]int{}
	for _, l := range e.requestLogs(10) {
		if l["endpoint"] == "rerank" && l["status"] == float64(200) {
			costs[math.Round(l["cost"].(float64)*1e9)/1e9]++
		}
	}
	// one and two search units at 0.01; 18 tokens (a word each) at $20 per million
	if want := map[float64]int{0.01: 1, 0.02: 1, 18 * 20e-6: 1}; fmt.Sprint(costs) != fmt.Sprint(want) {
		t.Fatalf("rerank costs %v, want %v", costs, want)
	}

	// the key's request limit applies
	limited := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "one", "rpm": 1})["key"].(string)
	req := map[string]any{"model": "rerank", "query": "q", "documents": docs}
	if r, body := e.v1(limited, "/v1/rerank", req); r.StatusCode != 200 {
		t.Fatalf("first: %d %s", r.StatusCode, body)
	}
	if r, body := e.v1(limited, "/v1/rerank", req); r.StatusCode != 429 || errorCode(t, body) != "rate_limit_exceeded" {
		t.Fatalf("second: %d %s", r.StatusCode, body)
	}
}
