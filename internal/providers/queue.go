package providers

import (
	"bytes"
	"errors"
	"io"

	"github.com/conduit-gw/conduit/internal/llm"
)

// Queue is the Next of a translating stream: the chunks translated and not yet returned,
// and the end, which once reached is returned again by every later call.
type Queue struct {
	// Chunks are returned first to last; a translator appends to it.
	Chunks [][]byte
	end    error
}

// Next returns the next chunk, calling fill while none is queued. An error from fill ends
// the stream (io.EOF: a clean end) and is returned by this and every later call.
func (q *Queue) Next(fill func() error) ([]byte, error) {
	for len(q.Chunks) == 0 {
		if q.end != nil {
			return nil, q.end
		}
		if err := fill(); err != nil {
			q.end = err
			return nil, err
		}
	}
	c := q.Chunks[0]
	q.Chunks[0] = nil
	q.Chunks = q.Chunks[1:]
	return c, nil
}

// Push queues a chunk.
func (q *Queue) Push(c []byte) { q.Chunks = append(q.Chunks, c) }

// ReadEnd is the error of an upstream event stream that could not be read further before
// its end marker: a cut, a stall, or its end (io.EOF, unexpected here).
func ReadEnd(provider string, err error) *llm.Error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return StreamCut(provider, err)
}

// EventObject returns an event's data, trimmed, when it is one JSON object, and a
// "malformed stream event" error otherwise.
func EventObject(provider string, data []byte) ([]byte, *llm.Error) {
	data = bytes.TrimSpace(data)
	if !llm.ValidObject(data) {
		e := StreamError(provider, data)
		e.Message = provider + " sent a malformed stream event"
		return nil, e
	}
	return data, nil
}
