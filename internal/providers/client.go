package providers

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/conduit-gw/conduit/internal/llm"
)

const (
	// MaxResponseBytes bounds a non-streamed upstream body.
	MaxResponseBytes = 64 << 20
	// maxErrorBody bounds what is read of a failed answer.
	maxErrorBody = 64 << 10
)

// HTTP is the HTTP side an adapter shares with the others: it builds requests with the
// adapter's credentials, maps failed answers to *llm.Error, reads JSON answers and opens
// event streams. An adapter sets it up once per provider account; the zero value of every
// optional field is the common behaviour.
type HTTP struct {
	// Name is the provider type, as errors name it.
	Name string
	// Client sends the requests (http.DefaultClient when nil).
	Client *http.Client
	// Auth sets the credentials (and any fixed header) on every request; nil sets none.
	Auth func(http.Header)
	// ErrorPaths locate the message in an upstream error body (gjson paths, tried in order).
	ErrorPaths []string
	// StatusError maps a non-2xx answer; nil: StatusError(Name, resp, body, ErrorPaths...).
	StatusError func(resp *http.Response, body []byte) *llm.Error
	// LateError reports whether a 2xx JSON body is an error the upstream sent after its
	// status line; nil: none is.
	LateError func(body []byte) bool
	// JSONLabelledStreams: the upstream may label a real event stream application/json, so
	// a stream answer in JSON is only refused when it starts with '{'.
	JSONLabelledStreams bool
}

// Header values every request carries, shared rather than built per request: net/http only
// reads them, Header.Set replaces a value's slice and Header.Add copies one at capacity.
var (
	jsonContentType   = []string{"application/json"}
	acceptEventStream = []string{"text/event-stream"}
)

// NewRequest builds a request with the adapter's credentials. A body is sent as JSON and
// can be replayed, so a request over a connection the upstream closed can be sent again.
// When ctx holds a span (tracing is on), the request carries its W3C traceparent.
func (h *HTTP) NewRequest(ctx context.Context, method, u string, body []byte) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return nil, fmt.Errorf("%s: build request: %w", h.Name, err)
	}
	if body != nil { // http.NewRequestWithContext set GetBody: a *bytes.Reader can be replayed
		req.Header["Content-Type"] = jsonContentType
	}
	if h.Auth != nil {
		h.Auth(req.Header)
	}
	if trace.SpanContextFromContext(ctx).IsValid() {
		propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(req.Header))
	}
	return req, nil
}

// Do sends req; a failed round trip or a non-2xx answer is returned as an *llm.Error.
func (h *HTTP) Do(req *http.Request) (*http.Response, error) {
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := Send(client, req)
	if err != nil {
		return nil, TransportError(h.Name, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		if h.StatusError != nil {
			return nil, h.StatusError(resp, body)
		}
		return nil, StatusError(h.Name, resp, body, h.ErrorPaths...)
	}
	return resp, nil
}

// PostJSON sends body to u and returns the upstream's JSON answer (see ReadJSON).
func (h *HTTP) PostJSON(ctx context.Context, u string, body []byte) ([]byte, error) {
	req, err := h.NewRequest(ctx, http.MethodPost, u, body)
	if err != nil {
		return nil, err
	}
	return h.ReadJSON(req)
}

// GetJSON fetches u and returns the upstream's JSON answer (see ReadJSON).
func (h *HTTP) GetJSON(ctx context.Context, u string) ([]byte, error) {
	req, err := h.NewRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	return h.ReadJSON(req)
}

// ReadJSON sends req and reads its answer: one JSON object of at most MaxResponseBytes. A
// late error in a 2xx answer is a retryable *llm.Error: another deployment may do better.
func (h *HTTP) ReadJSON(req *http.Request) ([]byte, error) {
	resp, err := h.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := ReadObject(h.Name, resp, MaxResponseBytes)
	if err != nil {
		return nil, err
	}
	if h.LateError != nil && h.LateError(out) {
		return nil, StreamError(h.Name, out, h.ErrorPaths...).Retry()
	}
	return out, nil
}

// OpenStream posts body to u asking for an event stream and returns the stream's body once
// the upstream answered with a success status. A JSON answer is no event stream (an error
// sent with a 200, or "stream" ignored): it is a retryable *llm.Error.
func (h *HTTP) OpenStream(ctx context.Context, u string, body []byte) (io.ReadCloser, error) {
	req, err := h.NewRequest(ctx, http.MethodPost, u, body)
	if err != nil {
		return nil, err
	}
	return h.Stream(req)
}

// Stream sends req (built by NewRequest) asking for an event stream, as OpenStream does.
func (h *HTTP) Stream(req *http.Request) (io.ReadCloser, error) {
	req.Header["Accept"] = acceptEventStream
	resp, err := h.Do(req)
	if err != nil {
		return nil, err
	}
	ct := resp.Header.Get("Content-Type")
	if isEventStream(ct) {
		return resp.Body, nil
	}
	if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" {
		return resp.Body, nil
	}
	r := io.Reader(resp.Body)
	if h.JSONLabelledStreams {
		br := bufio.NewReader(resp.Body)
		if !startsWithObject(br) {
			return readCloser{br, resp.Body}, nil
		}
		r = br
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(r, maxErrorBody))
	if h.LateError != nil && h.LateError(b) {
		return nil, StreamError(h.Name, b, h.ErrorPaths...).Retry()
	}
	return nil, llm.Upstream(h.Name+" answered a stream request without an event stream",
		fmt.Errorf("%s: stream request answered with Content-Type %q", h.Name, ct)).Retry()
}

// isEventStream reports whether ct is text/event-stream as upstreams send it (lower case, with
// parameters or without): the usual answer, told apart without parsing the media type.
func isEventStream(ct string) bool {
	const es = "text/event-stream"
	return strings.HasPrefix(ct, es) && (len(ct) == len(es) || ct[len(es)] == ';' || ct[len(es)] == ' ')
}

// startsWithObject reports whether the first non-whitespace byte of r is '{' (an event
// stream starts with a field name or ':'). It leaves that byte unread.
func startsWithObject(r *bufio.Reader) bool {
	for {
		b, err := r.ReadByte()
		if err != nil {
			return false
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue // blank lines before the first event are ignored by the SSE reader too
		}
		_ = r.UnreadByte()
		return b == '{'
	}
}

type readCloser struct {
	io.Reader
	io.Closer
}
