package openai

import (
	"bytes"

	"github.com/conduit-gw/conduit/internal/llm"
)

// eventCheck tells whether a chunk event is one JSON object, reading again only what is new
// in it. The chunks of one answer begin alike (id, object, created, model up to "choices"):
// once a chunk has been checked in full, a chunk that begins with the same bytes up to its
// choices value is checked from there. That is the same check: after `{ ... "choices":` and
// after `{"c":` a JSON reader is in the same state (inside the top-level object, before a
// member's value), so the chunk is valid exactly when `{"c":` followed by its rest is.
type eventCheck struct {
	head   []byte // a valid chunk's bytes up to its choices value, free of "error" and line breaks; empty: none
	buf    []byte // stubHead and the rest of the chunk being checked
	learnt int    // heads learnt so far: a stream whose chunks never begin alike stops trying
}

const maxLearn = 8

var (
	stubHead = []byte(`{"c":`)
	errorKey = []byte(`"error"`)
)

// object reports whether data (trimmed) is one JSON object. rest is the part of data that
// may hold a top-level "error" or a line break: all of it, or what follows the head.
func (c *eventCheck) object(data []byte) (ok bool, rest []byte) {
	if n := len(c.head); n > 0 && len(data) > n && bytes.Equal(data[:n], c.head) {
		c.buf = append(append(c.buf[:0], stubHead...), data[n:]...)
		return llm.ValidJSON(c.buf), data[n:]
	}
	if len(data) == 0 || data[0] != '{' || !llm.ValidJSON(data) {
		return false, data
	}
	c.learn(data)
	return true, data
}

// reset forgets the answer checked so far, keeping the buffers for the next one.
func (c *eventCheck) reset() {
	c.head = c.head[:0]
	c.learnt = 0
}

// learn keeps how a valid chunk begins, when it begins with plain keys ahead of "choices".
func (c *eventCheck) learn(data []byte) {
	c.head = c.head[:0]
	if c.learnt >= maxLearn {
		return
	}
	c.learnt++
	at, _, ok := llm.Member(data, "choices") // data is valid: object checked it
	if !ok || at <= 0 || at >= len(data) {
		return
	}
	head := data[:at]
	if bytes.Contains(head, errorKey) || bytes.IndexByte(head, '\n') >= 0 || bytes.IndexByte(head, '\r') >= 0 {
		return
	}
	c.head = append(c.head, head...)
	if cap(c.buf) < 2*len(data) {
		c.buf = make([]byte, 0, 2*len(data)) // once, for the chunks to come
	}
}
