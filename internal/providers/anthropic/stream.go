package anthropic

import (
	"io"

	"github.com/tidwall/gjson"

	wire "github.com/conduit-gw/conduit/internal/anthropicwire"
	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

// NewStream reads an Anthropic Messages event stream from an upstream SSE body and yields
// OpenAI chat.completion.chunk objects: a first chunk with the assistant role, content and
// tool-call deltas, a chunk with the finish_reason and a final usage chunk without choices
// (always sent: the gateway drops it when the client did not ask for usage). jsonTool names
// the response_format tool whose input is streamed as content ("" for none); created stamps
// every chunk.
//
// Next returns io.EOF after message_stop, and an *llm.Error when the stream breaks, ends
// before message_stop, carries an error event or something that is not JSON. The role chunk
// is held back until the first content, so an error event that comes right after
// message_start (overloaded_error) still comes before the first chunk, which the gateway may
// retry elsewhere.
func NewStream(body io.ReadCloser, jsonTool string, created int64) *providers.EventStream {
	return providers.NewEventStream(body, newTranslator(jsonTool, created))
}

func newTranslator(jsonTool string, created int64) *translator {
	return &translator{jsonTool: jsonTool, out: providers.Chunks{Created: created}, blocks: map[int64]blockState{}}
}

// Event implements providers.EventDecoder.
func (t *translator) Event(name, data []byte, q *providers.Queue) error {
	t.q = q
	if err := t.event(name, data); err != nil || !t.stopped {
		return err
	}
	return io.EOF
}

// End implements providers.EventDecoder: the stream ended before message_stop. After the
// message's stop reason it lacks only the end marker: the answer is complete, with its usage.
func (t *translator) End(err error, q *providers.Queue) error {
	if !t.finished {
		return providers.ReadEnd(Type, err)
	}
	t.out.Usage(q, t.usage.openai())
	t.stopped = true
	return io.EOF
}

// Kinds of content blocks.
const (
	kindOther = iota // thinking, redacted_thinking and unknown blocks: not relayed
	kindText
	kindTool
	kindJSON // the response_format tool: its input is relayed as content
)

type blockState struct {
	kind int
	tool int // the tool call's ordinal among the message's tool calls (OpenAI's index)
}

// translator turns the events of one stream into chunks. It is built per request.
type translator struct {
	jsonTool string
	q        *providers.Queue
	out      providers.Chunks
	blocks   map[int64]blockState // by Anthropic content block index
	tools    int                  // tool calls so far
	usage    tokens
	finished bool // the finish_reason chunk was sent
	stopped  bool // message_stop was seen
}

// event translates one SSE event, queueing its chunks. The role chunk is held back until
// the first content (or the finish), so an error event right after message_start still
// comes before the first chunk.
func (t *translator) event(name, data []byte) error {
	typ, ev, err := providers.TypedEvent(Type, name, data)
	if err != nil {
		return err
	}
	switch typ {
	case "message_start":
		msg := ev.Get("message")
		t.out.ID, t.out.Model = msg.Get("id").Str, msg.Get("model").Str
		t.usage.update(msg.Get("usage"))
	case "content_block_start":
		t.blockStart(ev.Get("index").Int(), ev.Get("content_block"))
	case "content_block_delta":
		t.blockDelta(ev.Get("index").Int(), ev.Get("delta"))
	case "message_delta":
		t.usage.update(ev.Get("usage"))
		if stop := ev.Get("delta.stop_reason"); stop.Type == gjson.String && !t.finished {
			t.finish(stop.Str)
		}
	case "message_stop":
		if !t.finished {
			t.finish("")
		}
		t.out.Usage(t.q, t.usage.openai())
		t.stopped = true
	case "error":
		return providers.StreamError(Type, data, errorMessagePaths...)
	}
	// content_block_stop, ping and event types added in later API versions need nothing.
	return nil
}

func (t *translator) blockStart(index int64, cb gjson.Result) {
	switch cb.Get("type").Str {
	case wire.BlockText:
		t.blocks[index] = blockState{kind: kindText}
		if text := cb.Get("text").Str; text != "" {
			t.out.Content(t.q, text)
		}
	case wire.BlockToolUse:
		name := cb.Get("name").Str
		if t.jsonTool != "" && name == t.jsonTool {
			t.blocks[index] = blockState{kind: kindJSON}
			return
		}
		n := t.tools
		t.tools++
		t.blocks[index] = blockState{kind: kindTool, tool: n}
		t.out.Delta(t.q, llm.Delta{ToolCalls: []llm.ToolCall{{Index: &n, ID: cb.Get("id").Str, Type: "function",
			Function: llm.FunctionCall{Name: name}}}})
	default:
		t.blocks[index] = blockState{kind: kindOther}
	}
}

func (t *translator) blockDelta(index int64, d gjson.Result) {
	b, ok := t.blocks[index]
	switch d.Get("type").Str {
	case "text_delta":
		if (!ok || b.kind == kindText) && t.jsonTool == "" {
			if text := d.Get("text").Str; text != "" {
				t.out.Content(t.q, text)
			}
		}
	case "input_json_delta":
		part := d.Get("partial_json").Str
		switch {
		case part == "" || !ok:
		case b.kind == kindJSON:
			t.out.Content(t.q, part)
		case b.kind == kindTool:
			n := b.tool
			t.out.Delta(t.q, llm.Delta{ToolCalls: []llm.ToolCall{{Index: &n, Function: llm.FunctionCall{Arguments: part}}}})
		}
	}
	// thinking_delta, signature_delta, citations_delta: not relayed.
}

func (t *translator) finish(stop string) {
	t.finished = true
	t.out.Finish(t.q, finishReason(stop, t.jsonTool != ""))
}
