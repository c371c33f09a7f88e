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
//
// Upstreams that sort their keys send the choices first and the same keys after them in
// every chunk but the last (created, id, model, ...): what follows the choices value is
// remembered too, and a chunk that ends with the same bytes has only its choices value read.
// After a value the reader is again in one state whatever the value was, so the chunk is
// valid exactly when its choices value is and `{"c":null` followed by the tail is.
type eventCheck struct {
	head   []byte // a valid chunk's bytes up to its choices value, free of "error" and line breaks; empty: none
	tail   []byte // what followed a valid chunk's choices value, free of "error" and line breaks; empty: none
	buf    []byte // a stub and the part of the chunk being checked
	learnt int    // heads and tails learnt so far: a stream whose chunks never end alike stops trying
}

const maxLearn = 8

var (
	stubHead = []byte(`{"c":`)
	stubTail = []byte(`{"c":null`) // a value nothing after it can extend (0 could take ".5")
	errorKey = []byte(`"error"`)
)

// object reports whether data (trimmed) is one JSON object. rest is the part of data that
// may hold an "error" or a line break: all of it, or what follows the head, or only the
// choices value when the chunk also ends with the learnt tail.
func (c *eventCheck) object(data []byte) (ok bool, rest []byte) {
	if n := len(c.head); n > 0 && len(data) > n && bytes.Equal(data[:n], c.head) {
		return c.afterHead(data, n)
	}
	if len(data) == 0 || data[0] != '{' || !llm.ValidJSON(data) {
		return false, data
	}
	c.learn(data)
	return true, data
}

// afterHead checks a chunk whose first n bytes are the learnt head.
func (c *eventCheck) afterHead(data []byte, n int) (bool, []byte) {
	if len(c.tail) > 0 {
		end, ok := llm.ValidValueAt(data, n)
		if !ok {
			return false, data[n:]
		}
		if bytes.Equal(data[end:], c.tail) {
			return true, data[n:end]
		}
		c.buf = append(append(c.buf[:0], stubTail...), data[end:]...)
		if !llm.ValidJSON(c.buf) {
			return false, data[n:]
		}
		c.learnTail(data[end:])
		return true, data[n:]
	}
	c.buf = append(append(c.buf[:0], stubHead...), data[n:]...)
	return llm.ValidJSON(c.buf), data[n:]
}

// reset forgets the answer checked so far, keeping the buffers for the next one.
func (c *eventCheck) reset() {
	c.head, c.tail = c.head[:0], c.tail[:0]
	c.learnt = 0
}

// learn keeps how a valid chunk begins, when it begins with plain keys ahead of "choices",
// and what follows its choices value.
func (c *eventCheck) learn(data []byte) {
	c.head, c.tail = c.head[:0], c.tail[:0]
	if c.learnt >= maxLearn {
		return
	}
	c.learnt++
	v := llm.InPlace(data).Get("choices")
	at := v.Index
	if !v.Exists() || at <= 0 || at >= len(data) {
		return
	}
	head := data[:at]
	if !plain(head) {
		return
	}
	c.head = append(c.head, head...)
	if cap(c.buf) < 2*len(data) {
		c.buf = make([]byte, 0, 2*len(data)) // once, for the chunks to come
	}
	if end, ok := llm.ValidValueAt(data, at); ok {
		c.learnTail(data[end:])
	}
}

// learnTail keeps what follows a valid chunk's choices value, unless it holds an "error" or a
// line break (then the chunk's rest is returned whole) or too many were learnt.
func (c *eventCheck) learnTail(tail []byte) {
	c.tail = c.tail[:0]
	if c.learnt >= maxLearn || !plain(tail) {
		return
	}
	c.learnt++
	c.tail = append(c.tail, tail...)
}

// plain reports whether b holds no "error" and no line break.
func plain(b []byte) bool {
	return !bytes.Contains(b, errorKey) && bytes.IndexByte(b, '\n') < 0 && bytes.IndexByte(b, '\r') < 0
}
