package cohere

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/providers/providertest"

	"github.com/conduit-gw/conduit/internal/providers"
)

// TestStatusErrors maps Cohere's error answers, for whole and streamed requests alike.
func TestStatusErrors(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		header map[string]string
		body   string
		want   string
		msg    string
		after  time.Duration
	}{
		{name: "bad_request", status: 400, body: `{"id":"a1","message":"invalid request: message must be at least 1 token long or tool results must be specified."}`,
			want: "*llm.Error status=400 type=invalid_request_error code=invalid_request retryable=false", msg: "cohere: invalid request: message must be"},
		{name: "unauthorized", status: 401, body: `{"id":"a2","message":"invalid api token"}`,
			want: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=false", msg: "credentials (401): invalid api token"},
		{name: "invalid_token", status: 498, body: `{"message":"invalid api token"}`,
			want: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=false", msg: "credentials (498): invalid api token"},
		{name: "not_found", status: 404, body: `{"id":"a3","message":"model 'command-x' not found, make sure the correct model ID was used and that you have access to the model."}`,
			want: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=true", msg: "cohere returned 404: model 'command-x' not found"},
		{name: "too_many_requests", status: 429, header: map[string]string{"Retry-After": "12"},
			body: `{"id":"a4","message":"You are using a Trial key, which is limited to 20 API calls / minute."}`,
			want: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=true", msg: "Trial key", after: 12 * time.Second},
		{name: "unprocessable", status: 422, body: `{"message":"too many tokens: size limit exceeded by 1000 tokens."}`,
			want: "*llm.Error status=400 type=invalid_request_error", msg: "too many tokens"},
		{name: "internal", status: 500, body: `{"message":"internal server error, this has been reported to our developers"}`,
			want: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=true", msg: "cohere returned 500"},
		{name: "unavailable", status: 503, body: `{"message":"service unavailable"}`,
			want: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=true", msg: "service unavailable"},
		{name: "gateway_timeout", status: 504, body: `{"message":"request timed out"}`,
			want: "*llm.Error status=504 type=upstream_error code=upstream_timeout retryable=true", msg: "cohere timed out (504)"},
		{name: "html", status: 502, body: `<html>bad gateway</html>`,
			want: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=true", msg: "cohere returned 502: Bad Gateway"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			up := providertest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			c := newClient(t, up.URL)
			req := providertest.ChatRequest(t, []byte(`{"model":"a","messages":[{"role":"user","content":"hi"}]}`))
			_, err1 := c.Chat(context.Background(), req, "command-a-03-2025")
			_, err2 := c.ChatStream(context.Background(), req, "command-a-03-2025")
			_, err3 := c.Embeddings(context.Background(), providertest.EmbeddingsRequest(t, `{"model":"e","input":"x"}`), "embed-v4.0")
			for _, err := range []error{err1, err2, err3} {
				e := providertest.AsLLMError(t, err)
				if d := providertest.Describe(err); !strings.HasPrefix(d, tt.want) || !strings.Contains(e.Message, tt.msg) {
					t.Errorf("got %s\nwant %s… with %q", d, tt.want, tt.msg)
				}
				if e.RetryAfter != tt.after {
					t.Errorf("RetryAfter %v, want %v", e.RetryAfter, tt.after)
				}
				if e.Cause == nil || !strings.Contains(e.Cause.Error(), tt.body[:10]) {
					t.Errorf("cause %v does not keep the body", e.Cause)
				}
			}
		})
	}
}

func TestNew(t *testing.T) {
	for _, tt := range []struct {
		cfg     providers.Config
		wantErr string
		base    string
	}{
		{cfg: providers.Config{APIKey: "k"}, base: DefaultBaseURL},
		{cfg: providers.Config{APIKey: "k", BaseURL: "https://proxy.example/cohere/v2/"}, base: "https://proxy.example/cohere/v2"},
		{cfg: providers.Config{}, wantErr: "api_key is required"},
		{cfg: providers.Config{APIKey: "k", BaseURL: "api.cohere.com"}, wantErr: "not an http(s) URL"},
	} {
		c, err := New(tt.cfg)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New(%+v) = %v, want %q", tt.cfg, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("New(%+v): %v", tt.cfg, err)
		case c.base != tt.base:
			t.Errorf("base %q, want %q", c.base, tt.base)
		}
	}
	// What the registered type serves: providers/all's TestTypesTellTheTruth.
}

func TestListModels(t *testing.T) {
	up := providertest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("page_token") == "" {
			_, _ = w.Write([]byte(`{"models":[{"name":"command-a-03-2025","endpoints":["chat"]},{"name":"embed-v4.0","endpoints":["embed"]}],"next_page_token":"p2"}`))
			return
		}
		_, _ = w.Write([]byte(`{"models":[{"name":"rerank-v3.5"}]}`))
	})
	c := newClient(t, up.URL+"/v2")
	ids, err := c.ListModels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != "command-a-03-2025,embed-v4.0,rerank-v3.5" {
		t.Errorf("ids %v", ids)
	}
	reqs := up.Requests()
	if len(reqs) != 2 || reqs[0].URL != "/v1/models?page_size=1000" || reqs[1].URL != "/v1/models?page_size=1000&page_token=p2" ||
		reqs[0].Header.Get("Authorization") != "Bearer "+testKey {
		t.Errorf("requests %+v", reqs)
	}
}
