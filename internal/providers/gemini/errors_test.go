package gemini

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/providers/providertest"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

// TestStatusErrors maps Gemini's error answers, for whole and streamed requests alike.
func TestStatusErrors(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		header map[string]string
		body   string
		want   string // providertest.Describe() prefix
		msg    string
		after  time.Duration
	}{
		{name: "invalid_argument", status: 400,
			body: `{"error":{"code":400,"message":"* GenerateContentRequest.contents: contents is not specified\n","status":"INVALID_ARGUMENT"}}`,
			want: "*llm.Error status=400 type=invalid_request_error code=invalid_request retryable=false", msg: "gemini: * GenerateContentRequest.contents"},
		{name: "api_key_invalid", status: 400,
			body: `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}`,
			want: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=false", msg: "gemini rejected the gateway's credentials (400): API key not valid"},
		{name: "location", status: 400,
			body: `{"error":{"code":400,"message":"User location is not supported for the API use.","status":"FAILED_PRECONDITION"}}`,
			want: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=true", msg: "User location is not supported"},
		{name: "permission_denied", status: 403,
			body: `{"error":{"code":403,"message":"Method doesn't allow unregistered callers.","status":"PERMISSION_DENIED"}}`,
			want: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=false", msg: "credentials (403)"},
		{name: "model_not_found", status: 404,
			body: `{"error":{"code":404,"message":"models/gemini-9 is not found for API version v1beta","status":"NOT_FOUND"}}`,
			want: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=true", msg: "gemini returned 404: models/gemini-9"},
		{name: "resource_exhausted", status: 429,
			body: `{"error":{"code":429,"message":"You exceeded your current quota.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}]}}`,
			want: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=true", msg: "gemini returned 429: You exceeded", after: 37 * time.Second},
		{name: "resource_exhausted_header", status: 429, header: map[string]string{"Retry-After": "5"},
			body: `{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}]}}`,
			want: "*llm.Error status=502", msg: "Resource has been exhausted", after: 5 * time.Second},
		{name: "internal", status: 500,
			body: `{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}`,
			want: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=true", msg: "gemini returned 500"},
		{name: "unavailable", status: 503,
			body: `{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}`,
			want: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=true", msg: "The model is overloaded"},
		{name: "deadline", status: 504,
			body: `{"error":{"code":504,"message":"Deadline expired before operation could complete.","status":"DEADLINE_EXCEEDED"}}`,
			want: "*llm.Error status=504 type=upstream_error code=upstream_timeout retryable=true", msg: "gemini timed out (504)"},
		{name: "html", status: 502, body: `<html><title>502</title></html>`,
			want: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=true", msg: "gemini returned 502: Bad Gateway"},
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
			_, err1 := c.Chat(context.Background(), req, "gemini-2.5-flash")
			_, err2 := c.ChatStream(context.Background(), req, "gemini-2.5-flash")
			for _, err := range []error{err1, err2} {
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

func TestTransportError(t *testing.T) {
	up := providertest.NewUpstream(t, answer)
	c := newClient(t, up.URL)
	up.Close()
	_, err := c.Chat(context.Background(), providertest.ChatRequest(t, []byte(`{"model":"a","messages":[{"role":"user","content":"hi"}]}`)), "m")
	if e := providertest.AsLLMError(t, err); e.Status != 502 || !e.Retryable || e.Code != llm.CodeUpstreamError {
		t.Errorf("got %s", providertest.Describe(err))
	}
}

func TestNew(t *testing.T) {
	for _, tt := range []struct {
		cfg     providers.Config
		wantErr string
		base    string
	}{
		{cfg: providers.Config{APIKey: "k"}, base: DefaultBaseURL},
		{cfg: providers.Config{APIKey: "k", BaseURL: "https://proxy.example/gemini/v1beta/"}, base: "https://proxy.example/gemini/v1beta"},
		{cfg: providers.Config{}, wantErr: "api_key is required"},
		{cfg: providers.Config{APIKey: "k", BaseURL: "ftp://x"}, wantErr: "not an http(s) URL"},
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

func TestModelPath(t *testing.T) {
	for in, want := range map[string]string{
		"gemini-2.5-flash":        "models/gemini-2.5-flash",
		"models/gemini-2.0-flash": "models/gemini-2.0-flash",
		"tunedModels/my-model-1":  "tunedModels/my-model-1",
		"a b":                     "models/a%20b",
	} {
		if got := modelPath(in); got != want {
			t.Errorf("modelPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestListModels(t *testing.T) {
	up := providertest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("pageToken") == "" {
			_, _ = w.Write([]byte(`{"models":[{"name":"models/gemini-2.5-flash","supportedGenerationMethods":["generateContent"]},{"name":"models/gemini-embedding-001"}],"nextPageToken":"p2"}`))
			return
		}
		_, _ = w.Write([]byte(`{"models":[{"name":"models/gemini-2.5-pro"}]}`))
	})
	c := newClient(t, up.URL+"/v1beta")
	ids, err := c.ListModels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != "gemini-2.5-flash,gemini-embedding-001,gemini-2.5-pro" {
		t.Errorf("ids %v", ids)
	}
	reqs := up.Requests()
	if len(reqs) != 2 || reqs[0].URL != "/v1beta/models?pageSize=1000" || reqs[1].URL != "/v1beta/models?pageSize=1000&pageToken=p2" ||
		reqs[0].Header.Get("x-goog-api-key") != testKey || reqs[0].Method != http.MethodGet {
		t.Errorf("requests %+v", reqs)
	}
}
