package backend

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/conduit-gw/conduit/internal/limits"
)

func TestRateLimitHeaders(t *testing.T) {
	tests := []struct {
		name string
		d    limits.Decision
		want map[string]string // nil: no headers
	}{
		{"unlimited", limits.Decision{Limit: 5, Remaining: 2, Reset: time.Second}, nil},
		{"whole seconds", limits.Decision{Limited: true, Limit: 2, Remaining: 1, Reset: 30 * time.Second},
			map[string]string{"X-Ratelimit-Limit-Requests": "2", "X-Ratelimit-Remaining-Requests": "1", "X-Ratelimit-Reset-Requests": "30s"}},
		{"fractions round up to the millisecond", limits.Decision{Limited: true, Limit: 60, Remaining: 0, Reset: 1234100 * time.Microsecond},
			map[string]string{"X-Ratelimit-Limit-Requests": "60", "X-Ratelimit-Remaining-Requests": "0", "X-Ratelimit-Reset-Requests": "1.235s"}},
		{"zero reset", limits.Decision{Limited: true, Limit: 3, Remaining: 3},
			map[string]string{"X-Ratelimit-Limit-Requests": "3", "X-Ratelimit-Remaining-Requests": "3", "X-Ratelimit-Reset-Requests": "0s"}},
		{"negative remaining shows 0", limits.Decision{Limited: true, Limit: 3, Remaining: -2, Reset: 86400 * time.Second},
			map[string]string{"X-Ratelimit-Limit-Requests": "3", "X-Ratelimit-Remaining-Requests": "0", "X-Ratelimit-Reset-Requests": "86400s"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			hv := newHeaderValues(h, 0)
			hv.rateLimit(tc.d)
			if len(h) != len(tc.want) {
				t.Fatalf("headers = %v, want %v", h, tc.want)
			}
			for k, v := range tc.want {
				if got := h.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// A panic in a /v1 handler is answered in the API's own error shape, naming the request id
// (an error the gateway did not build, in the server's 500 shape);
// after the response began, the response is aborted rather than ended cleanly.
func TestV1FailuresAnswered(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler)}
	e := echo.New()
	e.HTTPErrorHandler = s.errorHandler
	e.Use(s.recoverer)
	v1 := e.Group("/v1", s.v1Headers)
	boom := func(echo.Context) error { panic("boom") }
	v1.POST("/chat/completions", boom, s.apiErrors(writeV1Error))
	v1.POST("/messages", boom, s.apiErrors(writeAnthropicError))
	v1.POST("/stream", func(c echo.Context) error {
		c.Response().Header().Set("Content-Type", "text/event-stream")
		c.Response().WriteHeader(http.StatusOK)
		_, _ = c.Response().Write([]byte("data: {}\n\n"))
		c.Response().Flush()
		panic("boom")
	}, s.apiErrors(writeV1Error))
	v1.POST("/plain", func(echo.Context) error { return io.ErrUnexpectedEOF }, s.apiErrors(writeAnthropicError))
	srv := httptest.NewServer(e)
	defer srv.Close()

	for _, tc := range []struct{ path, typ string }{
		{"/v1/chat/completions", `"type":"server_error"`},
		{"/v1/messages", `"type":"api_error"`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := http.Post(srv.URL+tc.path, "application/json", strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			id := resp.Header.Get("X-Request-Id")
			if resp.StatusCode != http.StatusInternalServerError || id == "" ||
				!strings.Contains(string(body), tc.typ) || !strings.Contains(string(body), id) {
				t.Fatalf("%d %s (request id %q)", resp.StatusCode, body, id)
			}
		})
	}
	t.Run("an error that is not an llm.Error", func(t *testing.T) {
		resp, err := http.Post(srv.URL+"/v1/plain", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), `"internal_error"`) {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("after the response began", func(t *testing.T) {
		resp, err := http.Post(srv.URL+"/v1/stream", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if _, err := io.ReadAll(resp.Body); err == nil {
			t.Fatal("the stream ended cleanly after a panic")
		}
	})
}
