package openai

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
	"github.com/conduit-gw/conduit/internal/sse"
)

// ChatStream starts a streamed chat completion. It returns once the upstream has answered
// with a success status; events are read by Next.
func (c *Client) ChatStream(ctx context.Context, req *llm.ChatRequest, model string) (llm.ChunkStream, error) {
	body, err := c.chatBody(req, model, true)
	if err != nil {
		return nil, err
	}
	hreq, err := c.newRequest(ctx, http.MethodPost, c.endpoint("chat/completions", model), body)
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Accept", "text/event-stream")
	resp, err := c.do(hreq)
	if err != nil {
		return nil, err
	}
	return NewStream(c.v.Name, resp.Body), nil
}

// Stream reads an OpenAI chat.completion.chunk event stream.
type Stream struct {
	provider string
	body     io.ReadCloser
	r        *sse.Reader
	done     bool
}

// NewStream reads chunks from an upstream SSE body.
func NewStream(provider string, body io.ReadCloser) *Stream {
	return &Stream{provider: provider, body: body, r: sse.NewReader(body)}
}

var doneMarker = []byte("[DONE]")

// Next returns the next chunk's JSON, valid until the following call. It returns io.EOF after
// "data: [DONE]", and an error when the stream breaks, ends without [DONE] or carries an
// error event.
func (s *Stream) Next() ([]byte, error) {
	if s.done {
		return nil, io.EOF
	}
	for {
		ev, err := s.r.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, providers.StreamCut(s.provider, io.ErrUnexpectedEOF)
			}
			return nil, providers.StreamCut(s.provider, err)
		}
		data := bytes.TrimSpace(ev.Data)
		if len(data) == 0 {
			continue
		}
		if bytes.Equal(data, doneMarker) {
			s.done = true
			return nil, io.EOF
		}
		if data[0] != '{' {
			return nil, providers.StreamError(s.provider, data)
		}
		if string(ev.Name) == "error" || hasTopLevelError(data) {
			return nil, providers.StreamError(s.provider, data, "error.message", "message", "error")
		}
		return data, nil
	}
}

// hasTopLevelError is a cheap check for {"error": ...} events some servers send mid-stream.
func hasTopLevelError(data []byte) bool {
	return bytes.HasPrefix(data, []byte(`{"error"`)) || bytes.HasPrefix(data, []byte(`{ "error"`))
}

// Close releases the upstream connection.
func (s *Stream) Close() error { return s.body.Close() }

var _ llm.ChunkStream = (*Stream)(nil)
