package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/snapshot"
	"github.com/conduit-gw/conduit/internal/usage"
)

// A native Messages stream (Anthropic's events, relayed as they come) that dies mid-answer is
// continued like a chat stream (continue.go): the client's request plus the content it
// received as a trailing assistant message, on the next deployment whose row says
// supports_prefill, spliced so that the client sees one message: one message_start, content
// block indices that go on from where the cut fell, one message_delta with the stop reason and
// the usage of the whole, one message_stop.
//
// Nothing is decoded for this while the stream is healthy: the events delivered are only kept
// (appended to one buffer), and read back when a cut has to be continued.

// eventSep ends each event kept: a NUL byte never occurs in valid JSON.
const eventSep = 0

// messagesStream is the format of a native Messages stream, a continuer.
type messagesStream struct {
	*nativeStream
	g   *Gateway
	cur *NativeRequest // what open sends: the client's request, or a continuation of it

	rest []*snapshot.Deployment // where a cut answer may be continued
	log  []byte                 // the events delivered, each ended by eventSep, kept while rest is not empty
	keep bool
	spl  *messagesSplicer // set while a continuation is relayed
	// write writes an event the splicer adds to the client's message (set with spl).
	write func([]byte) error
}

// nativeFormat is the stream format of a native request: a Messages stream may be continued.
func nativeFormat(g *Gateway, req *NativeRequest) streamFormat {
	ns := &nativeStream{req: req, alias: req.Model}
	if req.API != APIMessages {
		return ns
	}
	return &messagesStream{nativeStream: ns, g: g, cur: req}
}

func (f *messagesStream) open(ctx context.Context, d *snapshot.Deployment) (llm.ChunkStream, error) {
	return openNative(ctx, f.cur, d)
}

func (f *messagesStream) take(ev []byte, sent *delivered) ([]byte, bool) {
	if f.spl != nil {
		var keep bool
		if ev, keep = f.spl.splice(ev); !keep {
			return nil, false
		}
		if stop := f.spl.closeOpen; stop != nil {
			// The continuation opens another kind of block after the text it went on with:
			// that block is closed first. A failed write fails the event's own write too.
			f.spl.closeOpen = nil
			f.kept(stop)
			_ = f.write(stop)
		}
	}
	f.kept(ev)
	return f.nativeStream.take(ev, sent)
}

// kept keeps an event delivered while the answer may be continued.
func (f *messagesStream) kept(ev []byte) {
	if f.keep {
		f.log = append(append(f.log, ev...), eventSep)
	}
}

func (f *messagesStream) plan(rest []*snapshot.Deployment) {
	f.rest, f.keep = rest, len(rest) > 0
}

// complete: the stop reason reached the client (only message_stop is missing).
func (f *messagesStream) complete() bool { return f.stopped }

// messageStop is the event that ends a message.
var messageStop = []byte(`{"type":"message_stop"}`)

// closing ends a message whose message_stop was cut off: the block still open, if any, is
// closed, then the message. An open block is known from the events kept; where none are
// (no deployment to continue on), the events are the upstream's own, and Anthropic's wire
// closes every block before message_delta.
func (f *messagesStream) closing() [][]byte {
	if k := readMessage(f.log).open(); k >= 0 {
		return [][]byte{blockStop(k), messageStop}
	}
	return [][]byte{messageStop}
}

// blockStop is the content_block_stop of the block at index i.
func blockStop(i int) []byte {
	return fmt.Appendf(nil, `{"type":"content_block_stop","index":%d}`, i)
}

func (f *messagesStream) continueAfter(ctx context.Context, r *relay, cause *llm.Error) bool {
	if !f.keep {
		r.c.cutAttempt(r.up.d, cause)
		return false
	}
	broken := r.up
	broken.close()
	so := readMessage(f.log)
	var spl *messagesSplicer
	cut := usage.Continuation{DeliveredBytes: so.delivered(), Blocks: len(so.blocks)}
	nd := r.g.resume(ctx, r.s, r.c, r.rt, broken.d, f.rest, cause, cut, func() attemptFn {
		if !so.continuable() {
			return nil
		}
		before := r.g.tokens.Count(broken.d.ProviderModel, so.text())
		raw, trimmed, err := so.continuation(f.req.Raw, before)
		if err != nil {
			r.g.log.Warn("cannot build a continuation request", "err", err)
			return nil
		}
		cur := *f.req
		cur.Raw = raw
		f.cur = &cur
		spl = so.splicer(trimmed, before)
		return r.open
	})
	if nd == nil {
		return false
	}
	f.spl, f.write = spl, r.write
	r.rec.setDeployment(nd)
	f.rest = prefillAfter(f.rest, nd)
	return true
}

// msgSoFar is the message the client received, read back from the events kept.
type msgSoFar struct {
	blocks []msgBlock   // by index
	prompt gjson.Result // the usage message_start reported: the client's prompt
}

// msgBlock is one content block as delivered.
type msgBlock struct {
	typ      string
	id, name string // tool_use
	text     strings.Builder
	input    strings.Builder // tool_use: the partial_json pieces
	other    bool            // a delta a prefill cannot carry (thinking, citations, ...)
	stopped  bool
}

// readMessage reads the events kept (each ended by eventSep).
func readMessage(log []byte) *msgSoFar {
	m := &msgSoFar{}
	for len(log) > 0 {
		i := bytes.IndexByte(log, eventSep)
		if i < 0 {
			i = len(log)
		}
		m.note(log[:i])
		log = log[min(i+1, len(log)):]
	}
	return m
}

// note takes one event.
func (m *msgSoFar) note(ev []byte) {
	e := gjson.ParseBytes(ev)
	typ := e.Get("type").Str
	if typ == "message_start" {
		m.prompt = e.Get("message.usage")
		return
	}
	if typ != "content_block_start" && typ != "content_block_delta" && typ != "content_block_stop" {
		return
	}
	i := int(e.Get("index").Int())
	if i < 0 || i > len(m.blocks)+1024 {
		return
	}
	for len(m.blocks) <= i {
		m.blocks = append(m.blocks, msgBlock{})
	}
	b := &m.blocks[i]
	switch typ {
	case "content_block_start":
		cb := e.Get("content_block")
		b.typ, b.id, b.name = cb.Get("type").Str, cb.Get("id").Str, cb.Get("name").Str
		b.text.WriteString(cb.Get("text").Str)
	case "content_block_delta":
		d := e.Get("delta")
		switch d.Get("type").Str {
		case "text_delta":
			b.text.WriteString(d.Get("text").Str)
		case "input_json_delta":
			b.input.WriteString(d.Get("partial_json").Str)
		default:
			b.other = true
		}
	case "content_block_stop":
		b.stopped = true
	}
}

// open is the index of the block begun and not stopped (the last one), or -1.
func (m *msgSoFar) open() int {
	if n := len(m.blocks); n > 0 && !m.blocks[n-1].stopped {
		return n - 1
	}
	return -1
}

// continuable reports whether a prefill can carry the message on: text and whole tool_use
// blocks only, and a cut that fell between blocks or inside a text block (a tool call's input
// cut in half cannot be resumed).
func (m *msgSoFar) continuable() bool {
	for i := range m.blocks {
		b := &m.blocks[i]
		switch {
		case b.other, b.typ != "text" && b.typ != "tool_use":
			return false
		case b.typ == "tool_use" && (!b.stopped || (b.input.Len() > 0 && !json.Valid([]byte(b.input.String())))):
			return false
		}
	}
	return true
}

// text is the text and tool input delivered, for counting tokens.
func (m *msgSoFar) text() string {
	var sb strings.Builder
	for i := range m.blocks {
		sb.WriteString(m.blocks[i].name)
		sb.WriteString(m.blocks[i].text.String())
		sb.WriteString(m.blocks[i].input.String())
	}
	return sb.String()
}

// delivered is how many bytes of text and tool input the client received.
func (m *msgSoFar) delivered() int {
	n := 0
	for i := range m.blocks {
		n += m.blocks[i].text.Len() + m.blocks[i].input.Len()
	}
	return n
}

// prefillBlock is a content block of the continuation's trailing assistant message.
type prefillBlock struct {
	Type  string          `json:"type"`
	Text  string          `json:"text,omitempty"`
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
}

// continuation returns the client's request raw with the message so far as a trailing
// assistant message and max_tokens lowered by the delivered tokens (one at least). Anthropic
// refuses a prefill that ends with whitespace: it is trimmed off, and returned, for the
// splicer to drop where the continuation repeats it. A message with no content yet is
// asked for again as it was.
func (m *msgSoFar) continuation(raw []byte, delivered int) (out []byte, trimmed string, err error) {
	var content []prefillBlock
	for i := range m.blocks {
		b := &m.blocks[i]
		if b.typ == "tool_use" {
			in := json.RawMessage(b.input.String())
			if len(in) == 0 {
				in = json.RawMessage(`{}`)
			}
			content = append(content, prefillBlock{Type: b.typ, ID: b.id, Name: b.name, Input: in})
			continue
		}
		text := b.text.String()
		if i == len(m.blocks)-1 {
			kept := strings.TrimRightFunc(text, unicode.IsSpace)
			text, trimmed = kept, text[len(kept):]
		}
		if text != "" { // Anthropic refuses empty text blocks
			content = append(content, prefillBlock{Type: b.typ, Text: text})
		}
	}
	out = raw
	if len(content) > 0 {
		msg, err := json.Marshal(struct {
			Role    string         `json:"role"`
			Content []prefillBlock `json:"content"`
		}{"assistant", content})
		if err != nil {
			return nil, "", err
		}
		if out, err = sjson.SetRawBytes(raw, "messages.-1", msg); err != nil {
			return nil, "", err
		}
	}
	if v := gjson.GetBytes(out, "max_tokens"); v.Type == gjson.Number {
		if out, err = sjson.SetBytes(out, "max_tokens", max(v.Int()-int64(delivered), 1)); err != nil {
			return nil, "", err
		}
	}
	return out, trimmed, nil
}

// splicer returns the splicer of a continuation of the message so far.
func (m *msgSoFar) splicer(trimmed string, before int) *messagesSplicer {
	s := &messagesSplicer{base: len(m.blocks), trim: trimmed, before: before, prompt: m.prompt}
	if k := m.open(); k >= 0 {
		s.base, s.join = k, true
	}
	return s
}

// messagesSplicer rewrites a continuation's events into the message the client was
// receiving.
type messagesSplicer struct {
	base   int    // the client's index of the continuation's block 0
	join   bool   // the continuation's block 0 goes on with the client's open text block
	trim   string // whitespace trimmed off the prefill, not to be delivered twice
	before int    // output tokens delivered before the cut
	// prompt is the usage of the client's prompt, as the message_start it got reported it.
	prompt gjson.Result
	// closeOpen is the content_block_stop of the client's open text block, due before the
	// continuation's first block when that is not text.
	closeOpen []byte
}

// promptUsage are the usage fields that count the prompt. A continuation reports them for its
// own prompt (the client's plus the prefill, cached otherwise); the client's message_delta
// gets those its message_start reported instead, so that its usage is the whole answer's: the
// prompt it sent and every output token of the message, as the log row counts them.
var promptUsage = [...]string{"input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"}

// splice returns ev as part of the client's message, or false when it adds nothing (the
// continuation's message_start, the start of the block it goes on with).
func (s *messagesSplicer) splice(ev []byte) ([]byte, bool) {
	e := gjson.ParseBytes(ev)
	switch e.Get("type").Str {
	case "message_start":
		return nil, false
	case "content_block_start":
		if s.join && e.Get("index").Int() == 0 {
			if e.Get("content_block.type").Str == "text" {
				return nil, false
			}
			// The continuation opens with another kind of block: it follows the open one,
			// which is closed first.
			s.closeOpen = blockStop(s.base)
			s.join, s.base = false, s.base+1
		}
		return s.index(ev, e), true
	case "content_block_delta":
		if s.trim != "" && s.join && e.Get("index").Int() == 0 {
			ev = s.dropRepeat(ev, e)
		}
		return s.index(ev, e), true
	case "content_block_stop":
		return s.index(ev, e), true
	case "message_delta":
		u := e.Get("usage")
		if !u.IsObject() {
			return ev, true
		}
		ev, _ = sjson.SetBytes(ev, "usage.output_tokens", s.before+int(u.Get("output_tokens").Int()))
		for _, k := range promptUsage {
			if u.Get(k).Exists() {
				ev, _ = sjson.SetBytes(ev, "usage."+k, s.prompt.Get(k).Int())
			}
		}
		return ev, true
	}
	return ev, true
}

// index moves a block event of the continuation to the client's index.
func (s *messagesSplicer) index(ev []byte, e gjson.Result) []byte {
	i := e.Get("index")
	if !i.Exists() || s.base == 0 {
		return ev
	}
	if out, err := sjson.SetBytes(ev, "index", i.Int()+int64(s.base)); err == nil {
		return out
	}
	return ev
}

// dropRepeat drops from a text delta the whitespace the prefill was trimmed of, where the
// continuation begins by repeating it.
func (s *messagesSplicer) dropRepeat(ev []byte, e gjson.Result) []byte {
	text := e.Get("delta.text")
	if text.Type != gjson.String {
		return ev
	}
	n := 0
	for n < len(text.Str) && n < len(s.trim) && text.Str[n] == s.trim[n] {
		n++
	}
	rest := text.Str[n:]
	s.trim = s.trim[n:]
	if rest != "" {
		s.trim = "" // the continuation went on without (the rest of) it
	}
	if n == 0 {
		return ev
	}
	if out, err := sjson.SetBytes(ev, "delta.text", rest); err == nil {
		return out
	}
	return ev
}

var _ continuer = (*messagesStream)(nil)
