package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

// update rewrites the golden files: go test ./internal/providers/openai/ -update
var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// captured is one request the fake upstream saw.
type captured struct {
	Method string
	URL    string // path and query
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

// variantNamed returns the family member of that provider type.
func variantNamed(t testing.TB, name string) Variant {
	t.Helper()
	for _, v := range variants {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no variant %q", name)
	return Variant{}
}

// newClient builds a client of the named variant against base with key.
func newClient(t testing.TB, variant, base, key string) *Client {
	t.Helper()
	c, err := New(variantNamed(t, variant), providers.Config{Type: variant, BaseURL: base, APIKey: key, Client: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	return c
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
		return fmt.Sprintf("*llm.Error status=%d type=%s code=%s retryable=%v retry_after=%s message=%s",
			e.Status, e.Type, e.Code, e.Retryable, e.RetryAfter, msg)
	default:
		return fmt.Sprintf("%T %v", err, err)
	}
}
