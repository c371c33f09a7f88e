package providers

import (
	"bytes"
	"context"
	"io"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/sse"
)

// EventDecoder translates the events of one upstream event stream into chat chunks; an
// adapter builds one per request.
type EventDecoder interface {
	// Event translates one event, given its name (empty when the stream names none) and its
	// data with surrounding white space trimmed, pushing its chunks to q. io.EOF ends the
	// stream cleanly once the chunks pushed so far have been read; another error ends it with
	// that error.
	Event(name, data []byte, q *Queue) error
	// End is told why the body could not be read further (io.EOF at its end) and returns
	// what ends the stream, as Event does; it may push final chunks.
	End(err error, q *Queue) error
}

// EventStream reads an upstream event stream and yields the chunks its decoder translates the
// events to. Once it has returned an error (io.EOF: the clean end) it returns it again. An
// event whose data is not one JSON object (other than an error event or a "[DONE]" marker) is
// skipped and counted (Skipped) rather than end the stream: one bad event does not spoil the
// answer around it.
type EventStream struct {
	body    StreamBody
	r       *sse.Reader
	dec     EventDecoder
	q       Queue
	last    bool // the decoder ended the stream: what is queued is all
	skipped int  // malformed events passed over
}

// NewEventStream reads events from an upstream SSE body with dec.
func NewEventStream(body io.ReadCloser, dec EventDecoder) *EventStream {
	return &EventStream{body: StreamBody{ReadCloser: body}, r: sse.NewReader(body), dec: dec}
}

// OpenEvents posts body to u asking for an event stream, as OpenStream does, and returns
// the stream of what dec translates its events to.
func (h *HTTP) OpenEvents(ctx context.Context, u string, body []byte, dec EventDecoder) (llm.ChunkStream, error) {
	stream, err := h.OpenStream(ctx, u, body)
	if err != nil {
		return nil, err
	}
	return NewEventStream(stream, dec), nil
}

// Next returns the next chunk, a one-line JSON object valid until the following call.
func (s *EventStream) Next() ([]byte, error) {
	c, err := s.q.Next(s.fill)
	if err == io.EOF {
		s.body.End()
	}
	return c, err
}

// Close releases the upstream connection, kept for another request when the stream ended
// cleanly (StreamBody).
func (s *EventStream) Close() error { return s.body.Close() }

// fill reads one upstream event and queues what the decoder translates it to.
func (s *EventStream) fill() error {
	if s.last {
		return io.EOF
	}
	ev, err := s.r.Next()
	data := bytes.TrimSpace(ev.Data)
	switch {
	case err != nil:
		err = s.dec.End(err, &s.q)
	case malformed(ev.Name, data):
		s.skipped++
		return nil
	default:
		err = s.dec.Event(ev.Name, data, &s.q)
	}
	if err == io.EOF && len(s.q.Chunks) > 0 {
		s.last = true
		return nil
	}
	return err
}

// Skipped is the number of malformed events passed over so far.
func (s *EventStream) Skipped() int { return s.skipped }

// malformed reports whether an event carries data that is not one JSON object, where every
// event of the streams read here carries one (error events and end markers aside).
func malformed(name, data []byte) bool {
	if len(data) == 0 || string(name) == "error" || string(data) == "[DONE]" {
		return false
	}
	return data[0] != '{' || !gjson.ValidBytes(data)
}

var _ llm.ChunkStream = (*EventStream)(nil)
