package gateway

import (
	"bytes"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

// chunkHead is how the chunks of a stream begin. An upstream sends every chunk of an answer
// with the same keys ahead of its choices (OpenAI: id, object, created, model,
// system_fingerprint); once one chunk has been read in full, a chunk that begins with the same
// bytes up to its choices is read from there on only: the choices array is skipped, and the
// keys after it are looked at for a model and a usage.
type chunkHead struct {
	raw     []byte // a chunk's bytes up to the value of its "choices"; empty: nothing learnt
	inHead  bool   // raw holds the model
	aliased []byte // raw naming the alias as its model (when inHead)
	renamed bool   // aliased differs from raw
	alias   string // the alias named

	// What followed the choices of the last chunk read, and where plainTail found its keys
	// (relative to its start): a chunk with the same bytes after its choices has the same keys
	// there, so they are not read again. Upstreams that sort their keys put the choices first,
	// and every chunk but the last ends alike.
	tail     []byte
	tailKeys tailKeys
	tailBuf  [160]byte // tail's room, without an allocation of its own
}

var usageKey = []byte(`"usage"`)

// learn keeps how chunk begins, read in full as ci, for the chunks after it. A head that holds
// a usage or a finish reason, or a model that cannot be spliced, is not kept.
func (h *chunkHead) learn(chunk []byte, ci chunkInfo, alias string) {
	h.raw, h.tail = h.raw[:0], h.tail[:0]
	at := ci.choicesAt
	if at <= 0 || at >= len(chunk) || chunk[at] != '[' {
		return
	}
	head := chunk[:at]
	if bytes.Contains(head, usageKey) || hasFinish(head) {
		return
	}
	m := ci.model
	h.inHead = m.Exists() && m.Index > 0 && m.Index < at
	h.alias = alias
	if h.inHead {
		if m.Type != gjson.String || m.Index+len(m.Raw) > at {
			return
		}
		h.renamed = m.Str != alias
		h.aliased = h.aliased[:0]
		if h.renamed {
			var ok bool
			if h.aliased, ok = llm.AppendSplice(h.aliased, head, m, alias); !ok {
				return
			}
		}
	}
	h.raw = append(h.raw, head...)
}

// forget drops what was learnt, keeping the buffers.
func (h *chunkHead) forget() {
	*h = chunkHead{raw: h.raw[:0], aliased: h.aliased[:0]}
}

// read reads a chunk that begins as the learnt one. ok is false when it does not, or when
// what follows its choices is more than plain keys, a usage and a model (see plainTail): then
// the chunk is read in full. A model after the choices is at chunk[ci.modelAt:ci.modelEnd].
func (h *chunkHead) read(chunk []byte) (ci chunkInfo, ok bool) {
	n := len(h.raw)
	if n == 0 || len(chunk) <= n || chunk[n] != '[' || !bytes.Equal(chunk[:n], h.raw) {
		return ci, false
	}
	end := skipValue(chunk, n)
	if end < 0 {
		return ci, false
	}
	first := skipSpace(chunk, n+1)
	ci.choices = first < end-1 // something before the closing bracket
	ci.choicesAt = n
	t, ok := h.readTail(chunk, end)
	if !ok || (t.modelAt < 0) == !h.inHead { // one model, in the head or after the choices
		return ci, false
	}
	ci.modelAt, ci.modelEnd = t.modelAt, t.modelEnd
	if t.usageAt >= 0 {
		ci.usage = llm.InPlace(chunk[t.usageAt:t.usageEnd])
	}
	if t.nullAt >= 0 {
		ci.dropAt, ci.dropEnd = t.nullAt, t.nullEnd
	}
	return ci, true
}

// readTail is plainTail(chunk, end), remembered for the bytes it read (it reads nothing
// before end).
func (h *chunkHead) readTail(chunk []byte, end int) (tailKeys, bool) {
	rest := chunk[end:]
	if len(h.tail) > 0 && bytes.Equal(rest, h.tail) {
		return h.tailKeys.shift(end), true
	}
	t, ok := plainTail(chunk, end)
	if ok && t.usageAt < 0 { // a usage comes once, in the last chunk
		if h.tail == nil {
			h.tail = h.tailBuf[:0]
		}
		h.tail = append(h.tail[:0], rest...)
		h.tailKeys = t.shift(-end)
	}
	return t, ok
}

// named returns a chunk read by read naming the alias, in buf when it has to be rewritten.
// With drop, a chunk whose model is in its head also goes without chunk[ci.dropAt:ci.dropEnd]
// (in its tail), in the same copy.
func (h *chunkHead) named(chunk []byte, ci chunkInfo, drop bool, buf *[]byte) []byte {
	if h.inHead {
		if !h.renamed && !drop {
			return chunk
		}
		head := h.raw
		if h.renamed {
			head = h.aliased
		}
		cut, resume := len(chunk), len(chunk) // what to leave out of the tail
		if drop {
			cut, resume = ci.dropAt, ci.dropEnd
		}
		*buf = append(append(append((*buf)[:0], head...), chunk[len(h.raw):cut]...), chunk[resume:]...)
		return *buf
	}
	at, end := ci.modelAt, ci.modelEnd
	if string(chunk[at+1:end-1]) == h.alias {
		return chunk
	}
	out := append((*buf)[:0], chunk[:at]...)
	out = llm.AppendJSONString(out, h.alias)
	*buf = append(out, chunk[end:]...)
	return *buf
}

// tailKeys is where plainTail found a model and a usage (-1: none). A usage that is null is
// the member from the comma before it to the end of its value, chunk[nullAt:nullEnd].
type tailKeys struct {
	modelAt, modelEnd int
	usageAt, usageEnd int
	nullAt, nullEnd   int
}

// shift moves the offsets found by d.
func (t tailKeys) shift(d int) tailKeys {
	for _, p := range []*int{&t.modelAt, &t.modelEnd, &t.usageAt, &t.usageEnd, &t.nullAt, &t.nullEnd} {
		if *p >= 0 {
			*p += d
		}
	}
	return t
}

// plainTail reads the keys of the object chunk after offset i (past a value): where a "model"
// string without escapes is and where a "usage" object or null is. It reports false for
// anything a full read must see: a second choices, model or usage, a usage neither null nor an
// object, escaped keys, bad syntax.
func plainTail(b []byte, i int) (t tailKeys, ok bool) {
	t = tailKeys{-1, -1, -1, -1, -1, -1}
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return t, false
		}
		member := i // its comma
		switch b[i] {
		case '}':
			return t, skipSpace(b, i+1) == len(b)
		case ',':
		default:
			return t, false
		}
		ks := skipSpace(b, i+1)
		ke := skipString(b, ks)
		if ke < 0 {
			return t, false
		}
		key := b[ks+1 : ke-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			return t, false
		}
		i = skipSpace(b, ke)
		if i >= len(b) || b[i] != ':' {
			return t, false
		}
		vs := skipSpace(b, i+1)
		ve := skipValue(b, vs)
		if ve < 0 {
			return t, false
		}
		switch string(key) {
		case "choices":
			return t, false
		case "usage":
			switch {
			case t.usageAt >= 0 || t.nullAt >= 0:
				return t, false
			case string(b[vs:ve]) == "null":
				t.nullAt, t.nullEnd = member, ve
			case b[vs] == '{':
				t.usageAt, t.usageEnd = vs, ve
			default:
				return t, false
			}
		case "model":
			if t.modelAt >= 0 || b[vs] != '"' || bytes.IndexByte(b[vs:ve], '\\') >= 0 {
				return t, false
			}
			t.modelAt, t.modelEnd = vs, ve
		}
		i = ve
	}
}

// skipSpace returns the offset of the first byte at or after i that is not JSON whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the offset just past the JSON string at b[i], or -1. (A plain loop: the
// strings of a chunk are short, shorter than IndexByte pays off for.)
func skipString(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++ // the escaped byte
		case '"':
			return i + 1
		}
	}
	return -1
}

// skipValue returns the offset just past the JSON value at b[i], or -1. It finds where the
// value ends without checking the value (the stream reader has checked the chunk).
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				if i = skipString(b, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	s := i // a number, true, false or null
	for i < len(b) && (b[i] == '-' || b[i] == '+' || b[i] == '.' || b[i] >= '0' && b[i] <= '9' || b[i] >= 'a' && b[i] <= 'z' || b[i] == 'E') {
		i++
	}
	if i == s {
		return -1
	}
	return i
}
