package providers

import (
	"bytes"
	"io"
	"net/http"
)

// ReadBody reads an upstream response body, at most limit bytes. When the response says its
// length, the body is read into one buffer of that size instead of a growing one.
func ReadBody(resp *http.Response, limit int64) ([]byte, error) {
	r := io.LimitReader(resp.Body, limit)
	if n := resp.ContentLength; n > 0 && n <= limit {
		var b bytes.Buffer
		b.Grow(int(n) + 1) // +1: the read that sees EOF needs room
		_, err := b.ReadFrom(r)
		return b.Bytes(), err
	}
	return io.ReadAll(r)
}
