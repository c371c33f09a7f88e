package providers

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

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
