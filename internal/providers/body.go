package providers

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/conduit-gw/conduit/internal/llm"
)

// ReadBody reads an upstream response body, at most limit bytes. When the response says its
// length, the body is read into one buffer of that size instead of a growing one.
func ReadBody(resp *http.Response, limit int64) ([]byte, error) {
	r := io.LimitReader(resp.Body, limit)
	if n := resp.ContentLength; n > 0 && n <= limit {
		return ReadSized(r, n)
	}
	return io.ReadAll(r)
}

// ReadSized reads r to its end. It expects n bytes (a Content-Length) and reads them into one
// buffer of that size; a reader that holds more or fewer is still read whole. Callers bound n.
func ReadSized(r io.Reader, n int64) ([]byte, error) {
	if n <= 0 {
		return io.ReadAll(r)
	}
	buf := make([]byte, n, n+1) // the spare byte probes for the end without an allocation
	k, err := io.ReadFull(r, buf)
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF: // shorter than announced
		return buf[:k], nil
	case err != nil:
		return buf[:k], err
	}
	m, err := io.ReadFull(r, buf[n:n+1])
	switch {
	case m == 0 && (err == io.EOF || err == io.ErrUnexpectedEOF):
		return buf, nil
	case m == 0:
		return buf, err
	}
	rest, err := io.ReadAll(r) // longer than announced
	return append(buf[:n+1], rest...), err
}

// ReadObject reads an upstream's JSON answer (at most limit bytes): one JSON object,
// surrounding whitespace trimmed (OpenRouter keeps a slow answer alive with leading spaces).
// A failed read is a TransportError, anything but an object is Malformed.
func ReadObject(provider string, resp *http.Response, limit int64) ([]byte, error) {
	out, err := ReadBody(resp, limit)
	if err != nil {
		return nil, TransportError(provider, err)
	}
	out = bytes.TrimSpace(out)
	if !llm.ValidObject(out) {
		return nil, Malformed(provider, fmt.Errorf("%s: invalid JSON body of %d bytes", provider, len(out)))
	}
	return out, nil
}

// What closing the body of a stream that reached its end marker reads of the rest.
const (
	endDrainWait = 100 * time.Millisecond // at most this long
	endDrainMax  = 4 << 10                // and at most this much
)

// StreamBody is an upstream stream's body, told by the stream when it reached its end marker
// (End: OpenAI's [DONE], Anthropic's message_stop...). Closing it then reads what is left of
// the body first. What follows an end marker is the end of the body itself (the last chunk of a
// chunked response), often still on its way; the HTTP transport keeps a connection for the
// next request only when its body was read to the end, and closes it otherwise, so the next
// request would dial (and, to a cloud API, shake hands) again. A body that does not end
// within endDrainWait, or holds more than endDrainMax bytes more, is closed as it is: the
// wait holds back the end of the client's response (a gateway closes the upstream stream
// once the answer is written), so it is short, and an upstream that ends its response with
// its last event costs nothing. A body whose stream did not reach its end (the client went
// away, the upstream failed) is closed at once: its connection is not worth the rest of an
// answer. Close may be called while the stream reads, to unblock it.
type StreamBody struct {
	io.ReadCloser
	ended atomic.Bool
}

// End notes that the stream reached its end marker: what is left is the end of the body.
func (b *StreamBody) End() { b.ended.Store(true) }

// Ended reports whether End was called.
func (b *StreamBody) Ended() bool { return b.ended.Load() }

// Close closes the body, read to its end first when the stream ended.
func (b *StreamBody) Close() error { return closeStream(b.ReadCloser, b.ended.Load(), endDrainWait) }

// closeStream is StreamBody.Close waiting at most wait for the end of an ended stream's body: a
// body still open then is closed, which ends the read.
func closeStream(body io.ReadCloser, ended bool, wait time.Duration) error {
	if ended {
		t := time.AfterFunc(wait, func() { _ = body.Close() })
		_, _ = io.CopyN(io.Discard, body, endDrainMax)
		t.Stop()
	}
	return body.Close()
}
