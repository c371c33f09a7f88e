package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"sync"

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
	return chunks(c.openStream(ctx, c.endpoint("chat/completions", model), body))
}

// openStream posts body to u asking for an event stream and returns its chunk stream.
func (c *Client) openStream(ctx context.Context, u string, body []byte) (*Stream, error) {
	stream, err := c.http.OpenStream(ctx, u, body)
	if err != nil {
		return nil, err
	}
	return c.newStream(stream), nil
}

// chunks is s as an llm.ChunkStream: nil when err is not.
func chunks(s *Stream, err error) (llm.ChunkStream, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}

// errorMessagePaths locate the message of an OpenAI-family error object.
var errorMessagePaths = []string{"error.message", "message", "error", "detail"}

// Stream reads an OpenAI chat.completion.chunk event stream.
type Stream struct {
	provider string
	body     providers.StreamBody // told at [DONE]: read to its end when closed
	wait     waitReader
	bufs     *streamBufs
	err      error // sticky: io.EOF after [DONE], or the error that ended the stream
	skipped  int   // malformed events passed over
	buf      bytes.Buffer
	pool     *sync.Pool // where bufs came from, given back once Next has ended the stream
}

// streamBufs is what a stream reads with and keeps from one answer to the next: the event
// reader and the chunk check, with their buffers.
type streamBufs struct {
	r     *sse.Reader
	check eventCheck
}

// NewStream reads chunks from an upstream SSE body.
func NewStream(provider string, body io.ReadCloser) *Stream {
	s := &Stream{provider: provider, body: providers.StreamBody{ReadCloser: body}, wait: waitReader{r: body}}
	s.bufs = &streamBufs{r: sse.NewReader(&s.wait)}
	return s
}

// newStream is NewStream with an event reader and a chunk check (and their buffers) from the
// client's pool.
func (c *Client) newStream(body io.ReadCloser) *Stream {
	s := &Stream{provider: c.v.Name, body: providers.StreamBody{ReadCloser: body}, wait: waitReader{r: body}, pool: &c.readers}
	b, _ := c.readers.Get().(*streamBufs)
	if b == nil {
		b = &streamBufs{r: sse.NewReader(&s.wait)}
	} else {
		b.r.Reset(&s.wait)
		b.check.reset()
	}
	s.bufs = b
	return s
}

// BeforeWait implements llm.WaitHook.
func (s *Stream) BeforeWait(f func()) { s.wait.before = f }

// waitReader calls before ahead of every read from the upstream body; the event reader's
// buffer reads from it only when it holds no more data.
type waitReader struct {
	r      io.Reader
	before func()
}

func (w *waitReader) Read(p []byte) (int, error) {
	if w.before != nil {
		w.before()
	}
	return w.r.Read(p)
}

var doneMarker = []byte("[DONE]")

// responsesEventPrefix begins every Responses API event as OpenAI sends it. Such an event
// reports a failure as an event of its own (error, response.failed), never with a top-level
// "error": that is not looked for through its response object, which holds an "error".
var responsesEventPrefix = []byte(`{"type":"response.`)

// Next returns the next chunk's JSON object on one line, valid until the following call. It
// returns io.EOF after "data: [DONE]", and an *llm.Error when the stream breaks, ends without
// [DONE] or carries an error event. An event that is not a JSON object is skipped and counted
// (Skipped). Once it has returned an error, it returns the same error again.
func (s *Stream) Next() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	data, err := s.next()
	if err != nil {
		s.err = err
		if err == io.EOF {
			s.body.End()
		}
		s.release()
		return nil, err
	}
	return data, nil
}

func (s *Stream) next() ([]byte, error) {
	for {
		ev, err := s.bufs.r.Next()
		if err != nil {
			return nil, providers.ReadEnd(s.provider, err)
		}
		data := bytes.TrimSpace(ev.Data)
		if string(ev.Name) == "error" {
			return nil, providers.StreamError(s.provider, data, errorMessagePaths...)
		}
		if len(data) == 0 {
			continue
		}
		if bytes.Equal(data, doneMarker) {
			return nil, io.EOF
		}
		ok, rest := s.bufs.check.object(data)
		if !ok {
			s.skipped++ // one bad event does not spoil the answer around it
			continue
		}
		if !bytes.HasPrefix(data, responsesEventPrefix) && bytes.Contains(rest, errorKey) && providers.HasTopLevelError(data) {
			return nil, providers.StreamError(s.provider, data, errorMessagePaths...)
		}
		if bytes.IndexByte(rest, '\n') >= 0 || bytes.IndexByte(rest, '\r') >= 0 { // not ContainsAny: 15× slower
			// JSON spread over several data: lines (or pretty-printed): relayed as one
			// "data:" line, a line break would cut the event for the client.
			s.buf.Reset()
			if err := json.Compact(&s.buf, data); err != nil {
				return nil, providers.StreamError(s.provider, data)
			}
			data = s.buf.Bytes()
		}
		return data, nil
	}
}

// Skipped is the number of malformed events passed over so far.
func (s *Stream) Skipped() int { return s.skipped }

// Close closes the upstream body (read to its end first after [DONE], so that its
// connection is kept: providers.StreamBody); it may be called while Next waits, to unblock
// it.
func (s *Stream) Close() error { return s.body.Close() }

// release gives the event reader and the chunk check back to the client's pool. Only Next
// calls it, once the stream has ended (its error is sticky, so nothing reads again); a stream
// closed before its end leaves them to the garbage collector, as Close may run while Next
// reads.
func (s *Stream) release() {
	if s.pool != nil && s.bufs != nil {
		s.bufs.r.Reset(nil)
		s.pool.Put(s.bufs)
		s.bufs = nil
	}
}

var _ llm.ChunkStream = (*Stream)(nil)
