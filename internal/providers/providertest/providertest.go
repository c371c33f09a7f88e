// Package providertest holds test helpers shared by the provider adapters' tests: golden
// files, error assertions, a recording fake upstream, event stream replay and draining.
package providertest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/tidwall/gjson"
)

// Golden compares got with the file at path, or rewrites it when update is set (the test
// package's -update flag).
func Golden(t *testing.T, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to accept)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// AsLLMError asserts err is an *llm.Error.
func AsLLMError(t testing.TB, err error) *llm.Error {
	t.Helper()
	var e *llm.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not an *llm.Error", err, err)
	}
	return e
}

// ReadFile reads a test fixture or fails the test.
func ReadFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Captured is one request an Upstream saw.
type Captured struct {
	Method string
	URL    string // path and query
	Header http.Header
	Body   []byte
}

// Upstream is an httptest server that records requests and answers with a handler.
type Upstream struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []Captured
	conns atomic.Int64
}

// NewUpstream starts an Upstream, closed when the test ends.
func NewUpstream(t testing.TB, handler http.HandlerFunc) *Upstream {
	t.Helper()
	u := &Upstream{}
	u.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.reqs = append(u.reqs, Captured{Method: r.Method, URL: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body})
		u.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		handler(w, r)
	}))
	u.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			u.conns.Add(1)
		}
	}
	u.Start()
	t.Cleanup(u.Close)
	return u
}

// Conns is the number of connections the upstream has accepted so far.
func (u *Upstream) Conns() int64 { return u.conns.Load() }

// Requests returns the requests seen so far.
func (u *Upstream) Requests() []Captured {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]Captured(nil), u.reqs...)
}

// Last returns the latest request, failing the test when there was none.
func (u *Upstream) Last(t testing.TB) Captured {
	t.Helper()
	r := u.Requests()
	if len(r) == 0 {
		t.Fatal("the upstream saw no request")
	}
	return r[len(r)-1]
}

// Replay answers every request with transcript as an event stream of contentType, written in
// pieces of piece bytes so that events straddle reads.
func Replay(contentType string, transcript []byte, piece int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		f := w.(http.Flusher)
		f.Flush()
		for rest := transcript; len(rest) > 0; {
			n := min(piece, len(rest))
			if _, err := w.Write(rest[:n]); err != nil {
				return
			}
			f.Flush()
			rest = rest[n:]
		}
	}
}

// Drain reads a stream to its end and renders what Next returned, one line per call. Every
// chunk must be a one-line JSON object, and the end must be sticky.
func Drain(t testing.TB, st llm.ChunkStream) (chunks [][]byte, out []byte, end error) {
	t.Helper()
	var b bytes.Buffer
	for i := 0; ; i++ {
		if i > 10000 {
			t.Fatal("stream does not end")
		}
		chunk, err := st.Next()
		if err != nil {
			if chunk != nil {
				t.Errorf("Next returned a chunk with the error %v", err)
			}
			b.WriteString("end: " + Describe(err) + "\n")
			for range 2 {
				if c2, err2 := st.Next(); c2 != nil || Describe(err2) != Describe(err) {
					t.Errorf("Next after the end = %s, %s; want %s", c2, Describe(err2), Describe(err))
				}
			}
			return chunks, b.Bytes(), err
		}
		if !gjson.ValidBytes(chunk) || !gjson.ParseBytes(chunk).IsObject() || bytes.ContainsAny(chunk, "\r\n") {
			t.Errorf("chunk %d is not a one-line JSON object: %q", i, chunk)
		}
		chunks = append(chunks, bytes.Clone(chunk))
		b.WriteString("chunk: ")
		b.Write(chunk)
		b.WriteByte('\n')
	}
}

// Describe renders an error for golden files and failure messages.
func Describe(err error) string {
	var e *llm.Error
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, io.EOF) && !errors.As(err, &e):
		return "io.EOF"
	case errors.As(err, &e):
		msg, _ := json.Marshal(e.Message)
		param := ""
		if e.Param != "" {
			param = " param=" + e.Param
		}
		return fmt.Sprintf("*llm.Error status=%d type=%s code=%s%s retryable=%v retry_after=%s message=%s",
			e.Status, e.Type, e.Code, param, e.Retryable, e.RetryAfter, msg)
	default:
		return fmt.Sprintf("%T %v", err, err)
	}
}

// Indent pretty-prints JSON for golden files.
func Indent(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// ChatRequest decodes and validates an OpenAI chat request body as the client API does.
func ChatRequest(t testing.TB, body []byte) *llm.ChatRequest {
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

// EmbeddingsRequest decodes and validates an OpenAI embeddings request body as the client
// API does.
func EmbeddingsRequest(t testing.TB, body string) *llm.EmbeddingsRequest {
	t.Helper()
	var req llm.EmbeddingsRequest
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	if err := req.Validate(); err != nil {
		t.Fatal(err)
	}
	req.Raw = []byte(body)
	return &req
}

// RenderRequest is the golden form of a request an adapter sent upstream: method, URL, the
// named headers that were set (sorted) and the indented JSON body.
func RenderRequest(t testing.TB, r Captured, headers ...string) []byte {
	t.Helper()
	names := slices.Sorted(slices.Values(slices.DeleteFunc(slices.Clone(headers), func(h string) bool { return r.Header.Get(h) == "" })))
	var b bytes.Buffer
	b.WriteString("{\n  \"method\": " + quote(r.Method) + ",\n  \"url\": " + quote(r.URL) + ",\n  \"headers\": {")
	for i, h := range names {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n    " + quote(h) + ": " + quote(r.Header.Get(h)))
	}
	b.WriteString("\n  },\n  \"body\": ")
	var body bytes.Buffer
	if err := json.Indent(&body, r.Body, "  ", "  "); err != nil {
		t.Fatalf("upstream body is not JSON: %v: %s", err, r.Body)
	}
	b.Write(body.Bytes())
	b.WriteString("\n}\n")
	return b.Bytes()
}

// RenderAnswer is the golden form of what an adapter's Chat returned: the indented body, or
// {"error": Describe(err)}. A body's usage must agree with Response.Usage.
func RenderAnswer(t testing.TB, resp *llm.Response, err error) []byte {
	t.Helper()
	if err != nil {
		got, _ := json.Marshal(map[string]string{"error": Describe(err)})
		return Indent(t, got)
	}
	u := gjson.GetBytes(resp.Body, "usage")
	if int(u.Get("prompt_tokens").Int()) != resp.Usage.PromptTokens ||
		int(u.Get("completion_tokens").Int()) != resp.Usage.CompletionTokens ||
		int(u.Get("total_tokens").Int()) != resp.Usage.TotalTokens ||
		int(u.Get("prompt_tokens_details.cached_tokens").Int()) != resp.Usage.CachedTokens() {
		t.Errorf("Response.Usage %+v differs from the body's usage %s", resp.Usage, u.Raw)
	}
	return Indent(t, resp.Body)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// KeepsConnection checks that streams closed after their end keep their connection for the
// next request, even when the end of the body comes after the end marker was read. It starts
// an upstream that writes events (of Content-Type contentType) and, for its first request,
// finishes the response only once the client has read the stream and is closing it; then it
// opens three streams one after another with open (against the upstream's URL), reads each to
// its clean end and closes it, and fails unless the three took one connection.
func KeepsConnection(t *testing.T, contentType string, events []byte, open func(url string) (llm.ChunkStream, error)) {
	t.Helper()
	release := make(chan struct{})
	var n atomic.Int64
	up := NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(events)
		w.(http.Flusher).Flush()
		if n.Add(1) == 1 {
			<-release
		}
	})
	for i := range 3 {
		st, err := open(up.URL)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, end := Drain(t, st); end != io.EOF {
			t.Fatalf("stream %d ended with %v", i, end)
		}
		closed := make(chan error, 1)
		go func() { closed <- st.Close() }()
		if i == 0 {
			close(release)
		}
		if err := <-closed; err != nil {
			t.Fatal(err)
		}
	}
	if got := up.Conns(); got != 1 {
		t.Errorf("three streams took %d connections, want 1", got)
	}
}
