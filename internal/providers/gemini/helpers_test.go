package gemini

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

// update rewrites the golden files: go test ./internal/providers/gemini/ -update
var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// testKey is the API key the tests configure.
const testKey = "AIzaSy-test-0123456789"

// captured is one request the fake upstream saw.
type captured struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// upstream is an httptest server that records requests and answers with handler.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []captured
}

func newUpstream(t testing.TB, handler http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.reqs = append(u.reqs, captured{Method: r.Method, URL: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body})
		u.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		handler(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) requests() []captured {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]captured(nil), u.reqs...)
}

func (u *upstream) last(t testing.TB) captured {
	t.Helper()
	r := u.requests()
	if len(r) == 0 {
		t.Fatal("the upstream saw no request")
	}
	return r[len(r)-1]
}

// newClient builds a deterministic client against base: a fixed clock and id, and image
// fetches allowed to reach the loopback test servers.
func newClient(t testing.TB, base string) *Client {
	t.Helper()
	c, err := New(providers.Config{Type: Type, BaseURL: base, APIKey: testKey, Client: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return time.Unix(1700000000, 0) }
	c.newID = func() string { return "test" }
	c.media.allow = func(netip.Addr) bool { return true }
	return c
}

// indent pretty-prints JSON for goldens.
func indent(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// describe renders an error for golden files and failure messages.
func describe(err error) string {
	var e *llm.Error
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, io.EOF) && !errors.As(err, &e):
		return "io.EOF"
	case errors.As(err, &e):
		msg, _ := json.Marshal(e.Message)
		return fmt.Sprintf("*llm.Error status=%d type=%s code=%s param=%s retryable=%v retry_after=%s message=%s",
			e.Status, e.Type, e.Code, e.Param, e.Retryable, e.RetryAfter, msg)
	default:
		return fmt.Sprintf("%T %v", err, err)
	}
}

// decodeChat decodes a client body as the client API does.
func decodeChat(t testing.TB, body []byte) *llm.ChatRequest {
	t.Helper()
	var req llm.ChatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	if err := req.Validate(); err != nil {
		t.Fatal(err)
	}
	req.Raw = body
	return &req
}

// cfgForTest is a config for a client with the default (public-only) fetch guard.
func (c *Client) cfgForTest() providers.Config {
	return providers.Config{Type: Type, APIKey: c.apiKey, Client: &http.Client{}}
}
