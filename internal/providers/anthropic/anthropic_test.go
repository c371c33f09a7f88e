package anthropic

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/providers/providertest"

	"github.com/conduit-gw/conduit/internal/providers"
)

func TestNew(t *testing.T) {
	for _, tt := range []struct {
		base, key, wantBase, wantErr string
	}{
		{key: "k", wantBase: DefaultBaseURL},
		{key: "k", base: "https://api.anthropic.com/v1/", wantBase: DefaultBaseURL},
		{key: "k", base: "https://proxy.example.com/anthropic//", wantBase: "https://proxy.example.com/anthropic"},
		{wantErr: "api_key is required"},
		{key: "k", base: "not a url", wantErr: "bad base_url"},
	} {
		r := providers.NewRegistry()
		Register(r)
		p, err := r.New(providers.Config{Type: "anthropic", BaseURL: tt.base, APIKey: tt.key})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "anthropic: ") {
				t.Errorf("%q: err = %v, want %q", tt.base, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.base, err)
			continue
		}
		if c := p.(*Client); c.base != tt.wantBase || c.http.Client == nil {
			t.Errorf("%q: base = %q, want %q", tt.base, c.base, tt.wantBase)
		}
	}
}

// TestStatusErrors maps Anthropic's error answers.
func TestStatusErrors(t *testing.T) {
	body := func(typ, msg string) string {
		return `{"type":"error","error":{"type":"` + typ + `","message":"` + msg + `"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}`
	}
	for _, tt := range []struct {
		status     int
		retryAfter string
		body       string
		want       string
	}{
		{400, "", body("invalid_request_error", "messages: roles must alternate"),
			`*llm.Error status=400 type=invalid_request_error code=invalid_request retryable=false retry_after=0s message="anthropic: messages: roles must alternate"`},
		{401, "", body("authentication_error", "invalid x-api-key"),
			`*llm.Error status=502 type=upstream_error code=upstream_error retryable=false retry_after=0s message="anthropic rejected the gateway's credentials (401): invalid x-api-key"`},
		{403, "", body("permission_error", "no access"),
			`*llm.Error status=502 type=upstream_error code=upstream_error retryable=false retry_after=0s message="anthropic rejected the gateway's credentials (403): no access"`},
		{404, "", body("not_found_error", "model: claude-9"),
			`*llm.Error status=502 type=upstream_error code=upstream_error retryable=true retry_after=0s message="anthropic returned 404: model: claude-9"`},
		{413, "", body("request_too_large", "Request exceeds the maximum allowed number of bytes."),
			`*llm.Error status=400 type=invalid_request_error code=invalid_request retryable=false retry_after=0s message="anthropic: Request exceeds the maximum allowed number of bytes."`},
		{429, "17", body("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
			`*llm.Error status=502 type=upstream_error code=upstream_error retryable=true retry_after=17s message="anthropic returned 429: Number of request tokens has exceeded your per-minute rate limit"`},
		{500, "", body("api_error", "Internal server error"),
			`*llm.Error status=502 type=upstream_error code=upstream_error retryable=true retry_after=0s message="anthropic returned 500: Internal server error"`},
		{504, "", body("timeout_error", "Request timed out"),
			`*llm.Error status=504 type=upstream_error code=upstream_timeout retryable=true retry_after=0s message="anthropic timed out (504): Request timed out"`},
		{529, "", body("overloaded_error", "Overloaded"),
			`*llm.Error status=502 type=upstream_error code=upstream_error retryable=true retry_after=0s message="anthropic returned 529: Overloaded"`},
		{502, "", `<html>Bad Gateway</html>`,
			`*llm.Error status=502 type=upstream_error code=upstream_error retryable=true retry_after=0s message="anthropic returned 502: Bad Gateway"`},
	} {
		up := providertest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			if tt.retryAfter != "" {
				w.Header().Set("Retry-After", tt.retryAfter)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(tt.status)
			_, _ = w.Write([]byte(tt.body))
		})
		c := newClient(t, up.URL)
		req := providertest.ChatRequest(t, []byte(`{"model":"a","messages":[{"role":"user","content":"hi"}]}`))
		_, err := c.Chat(context.Background(), req, "claude")
		if got := providertest.Describe(err); got != tt.want {
			t.Errorf("%d: got\n%s\nwant\n%s", tt.status, got, tt.want)
		}
		_, err = c.ChatStream(context.Background(), req, "claude")
		if got := providertest.Describe(err); got != tt.want {
			t.Errorf("%d stream: got\n%s\nwant\n%s", tt.status, got, tt.want)
		}
		// The upstream body stays in the private cause, for the log.
		if e := providertest.AsLLMError(t, err); e.Cause == nil || !strings.Contains(e.Cause.Error(), tt.body) {
			t.Errorf("%d: cause %v lacks the upstream body", tt.status, e.Cause)
		}
	}
}

func TestTransportError(t *testing.T) {
	up := providertest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) { time.Sleep(200 * time.Millisecond) })
	c := newClient(t, up.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := c.Chat(ctx, providertest.ChatRequest(t, []byte(`{"model":"a","messages":[{"role":"user","content":"hi"}]}`)), "claude")
	if e := providertest.AsLLMError(t, err); e.Status != http.StatusGatewayTimeout || !e.Retryable {
		t.Errorf("got %s", providertest.Describe(err))
	}
}

func TestListModels(t *testing.T) {
	up := providertest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		page := map[string]any{"has_more": false, "first_id": "claude-3-5-haiku-20241022", "last_id": "claude-3-5-haiku-20241022",
			"data": []map[string]string{{"type": "model", "id": "claude-3-5-haiku-20241022", "display_name": "Claude Haiku 3.5"}}}
		if r.URL.Query().Get("after_id") == "" {
			page = map[string]any{"has_more": true, "first_id": "claude-sonnet-4-5-20250929", "last_id": "claude-opus-4-1-20250805",
				"data": []map[string]string{{"type": "model", "id": "claude-sonnet-4-5-20250929"}, {"type": "model", "id": "claude-opus-4-1-20250805"}}}
		}
		_ = json.NewEncoder(w).Encode(page)
	})
	c := newClient(t, up.URL+"/v1")
	ids, err := c.ListModels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != "claude-sonnet-4-5-20250929,claude-opus-4-1-20250805,claude-3-5-haiku-20241022" {
		t.Errorf("ids = %v", ids)
	}
	got := up.Last(t)
	if got.Method != http.MethodGet || got.URL != "/v1/models?limit=1000&after_id=claude-opus-4-1-20250805" ||
		got.Header.Get("X-Api-Key") != "sk-ant-test" || got.Header.Get("Anthropic-Version") != APIVersion {
		t.Errorf("request %s %s %v", got.Method, got.URL, got.Header)
	}

	bad := providertest.NewUpstream(t, serveJSON(http.StatusOK, []byte(`{"models":[]}`)))
	if _, err := newClient(t, bad.URL).ListModels(context.Background()); err == nil || !strings.Contains(providertest.Describe(err), "malformed") {
		t.Errorf("malformed list: %s", providertest.Describe(err))
	}
	denied := providertest.NewUpstream(t, serveJSON(http.StatusUnauthorized, []byte(`{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`)))
	if _, err := newClient(t, denied.URL).ListModels(context.Background()); !strings.Contains(providertest.Describe(err), "invalid x-api-key") {
		t.Errorf("denied: %s", providertest.Describe(err))
	}
}
