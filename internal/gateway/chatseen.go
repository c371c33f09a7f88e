package gateway

import (
	"encoding/binary"
	"strings"
	"sync"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

// What a streamed chat answer said is rarely needed: its text is counted only when the
// upstream reports no usage, and the answer so far is rebuilt only when the stream is cut
// and continued. So the relay does not parse each chunk for it: it keeps the chunks the
// client received as they are (a copy is cheaper than a parse) and reads them back when it
// needs to. Past seenFoldAt bytes the kept chunks are folded into what they say, so that a
// long answer holds its text rather than its chunks.

// seenFoldAt bounds the chunks kept unread per stream.
const seenFoldAt = 32 << 10

// seenChunks is the chunks a client received, kept to be read back (see above).
type seenChunks struct {
	pool *sync.Pool // where buf comes from and goes back to (in pooled); nil: not pooled
	buf  []byte     // chunks not yet read back, each after its length as a uvarint
	held *[]byte    // what buf goes back to the pool in
	// What the chunks read back so far said.
	// The streamed text (content, tool names and arguments of every choice), read only while
	// the upstream has reported no usage: once it has, the text is never counted.
	text strings.Builder
	so   *soFar // the answer so far (single choice), when it may be continued
}

// add keeps one chunk the client received. withText says whether its text may be needed (the
// upstream has not reported usage yet).
func (s *seenChunks) add(chunk []byte, withText bool) {
	if s.buf == nil && s.pool != nil {
		if b, ok := s.pool.Get().(*[]byte); ok {
			s.buf, s.held = (*b)[:0], b
		}
	}
	s.buf = binary.AppendUvarint(s.buf, uint64(len(chunk)))
	s.buf = append(s.buf, chunk...)
	if len(s.buf) > seenFoldAt {
		s.fold(withText)
	}
}

// fold reads the kept chunks back into text (when withText) and the answer so far.
func (s *seenChunks) fold(withText bool) {
	for b := s.buf; len(b) > 0; {
		n, k := binary.Uvarint(b)
		chunk := b[k : k+int(n)]
		b = b[k+int(n):]
		if withText {
			appendText(chunk, &s.text)
		}
		if s.so != nil {
			s.so.note(chunk)
		}
	}
	s.buf = s.buf[:0]
}

// release gives the buffer back to its pool; what was read back stays.
func (s *seenChunks) release() {
	b := s.buf
	s.buf = nil
	if s.pool == nil || b == nil || cap(b) > 2*seenFoldAt {
		return
	}
	if s.held == nil {
		s.held = new([]byte)
	}
	*s.held = b[:0]
	s.pool.Put(s.held)
	s.held = nil
}

// appendText appends the streamed text of a chunk to text: the content, tool names and
// arguments of every choice, as counted when the upstream reports no usage.
func appendText(chunk []byte, text *strings.Builder) {
	llm.InPlace(chunk).ForEach(func(k, v gjson.Result) bool {
		if k.Str != "choices" || !v.IsArray() {
			return true
		}
		v.ForEach(func(_, c gjson.Result) bool {
			d := c.Get("delta")
			text.WriteString(d.Get("content").Str)
			d.Get("tool_calls").ForEach(func(_, t gjson.Result) bool {
				text.WriteString(t.Get("function.name").Str)
				text.WriteString(t.Get("function.arguments").Str)
				return true
			})
			return true
		})
		return true
	})
}
