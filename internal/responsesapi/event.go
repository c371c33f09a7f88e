package responsesapi

import (
	"bytes"
	"strconv"
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

// Terminal reports whether an event type ends a stream: response.completed,
// response.incomplete or response.failed.
func Terminal(typ string) bool {
	switch typ {
	case "response.completed", "response.incomplete", "response.failed":
		return true
	}
	return false
}

// Head is what the start of a stream event says: its type and sequence number (-1 when it
// has none). Type points into the event: it is valid while the event's bytes are.
type Head struct {
	Type string
	Seq  int64
}

var (
	typePrefix = []byte(`{"type":"`)
	seqKey     = []byte(`,"sequence_number":`)
)

// EventHead reads an event's type and sequence number. OpenAI sends them first
// ({"type":"…","sequence_number":N,…}), where they are read without going through the rest of
// the event; in any other order the event's top-level keys are read once.
func EventHead(data []byte) Head {
	if h, ok := leadingHead(data); ok {
		return h
	}
	h := Head{Seq: -1}
	llm.InPlace(data).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			h.Type = v.Str
		case "sequence_number":
			h.Seq = v.Int()
		}
		return true
	})
	return h
}

// leadingHead reads the head of an event in OpenAI's key order; ok is false for any other
// shape (another order, whitespace, an escaped type), which EventHead reads in full.
func leadingHead(data []byte) (Head, bool) {
	rest, ok := bytes.CutPrefix(data, typePrefix)
	if !ok {
		return Head{}, false
	}
	end := bytes.IndexByte(rest, '"')
	if end < 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return Head{}, false
	}
	h := Head{Type: inPlace(rest[:end]), Seq: -1}
	rest, ok = bytes.CutPrefix(rest[end+1:], seqKey)
	if !ok {
		// No sequence number next: a head without one only if the object ends or goes on
		// with another key, which may be it (read in full).
		return h, len(rest) > 0 && rest[0] == '}'
	}
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n == 0 || n == len(rest) || (rest[n] != ',' && rest[n] != '}') {
		return Head{}, false
	}
	seq, err := strconv.ParseInt(inPlace(rest[:n]), 10, 64)
	if err != nil {
		return Head{}, false
	}
	h.Seq = seq
	return h, true
}

// inPlace is b as a string without a copy: valid while b is.
func inPlace(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
