package anthropic

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
	"github.com/conduit-gw/conduit/internal/sse"
)

// ChatStream starts a streamed message request. It returns once the upstream has answered
// with a success status; Next yields the answer as OpenAI chat.completion.chunk objects.
func (c *Client) ChatStream(ctx context.Context, req *llm.ChatRequest, model string) (llm.ChunkStream, error) {
	tr, err := translateRequest(req, model, true)
	if err != nil {
		return nil, err
	}
	return c.http.OpenEvents(ctx, c.base+"/v1/messages", tr.body, newTranslator(tr.jsonTool, c.now().Unix()))
}

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
	return &translator{jsonTool: jsonTool, created: created, blocks: map[int64]blockState{}}
}

// Event implements providers.EventDecoder.
func (t *translator) Event(ev sse.Event, q *providers.Queue) error {
	var err error
	if q.Chunks, err = t.event(ev.Name, ev.Data, q.Chunks); err == nil && t.stopped {
		return io.EOF
	}
	return err
}

// End implements providers.EventDecoder: the stream ended before message_stop. After the
// message's stop reason it lacks only the end marker: the answer is complete, with its usage.
func (t *translator) End(err error, q *providers.Queue) error {
	if !t.finished {
		return providers.ReadEnd(Type, err)
	}
	u := t.usage.openai()
	var eerr error
	if q.Chunks, eerr = t.emit(q.Chunks, &llm.ChatChunk{Choices: []llm.ChunkChoice{}, Usage: &u}); eerr != nil {
		return eerr
	}
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
	created  int64
	id       string
	model    string
	blocks   map[int64]blockState // by Anthropic content block index
	tools    int                  // tool calls so far
	usage    tokens
	started  bool // the role chunk was sent
	finished bool // the finish_reason chunk was sent
	stopped  bool // message_stop was seen
}

// event translates one SSE event, appending its chunks to out.
func (t *translator) event(name, data []byte, out [][]byte) ([][]byte, error) {
	data = bytes.TrimSpace(data)
	typ := string(name)
	if len(data) > 0 {
		if _, err := providers.EventObject(Type, data); err != nil {
			return out, err
		}
		if v := gjson.GetBytes(data, "type"); v.Type == gjson.String {
			typ = v.Str
		}
	}
	ev := gjson.ParseBytes(data)
	var err error
	switch typ {
	case "message_start":
		msg := ev.Get("message")
		t.id, t.model = msg.Get("id").Str, msg.Get("model").Str
		t.usage.update(msg.Get("usage"))
	case "content_block_start":
		out, err = t.blockStart(ev.Get("index").Int(), ev.Get("content_block"), out)
	case "content_block_delta":
		out, err = t.blockDelta(ev.Get("index").Int(), ev.Get("delta"), out)
	case "message_delta":
		t.usage.update(ev.Get("usage"))
		if stop := ev.Get("delta.stop_reason"); stop.Type == gjson.String && !t.finished {
			out, err = t.finish(stop.Str, out)
		}
	case "message_stop":
		if !t.finished {
			out, err = t.finish("", out)
		}
		if err == nil {
			u := t.usage.openai()
			out, err = t.emit(out, &llm.ChatChunk{Choices: []llm.ChunkChoice{}, Usage: &u})
		}
		t.stopped = true
	case "error":
		return out, providers.StreamError(Type, data, errorMessagePaths...)
	}
	// content_block_stop, ping and event types added in later API versions need nothing.
	return out, err
}

func (t *translator) blockStart(index int64, cb gjson.Result, out [][]byte) ([][]byte, error) {
	switch cb.Get("type").Str {
	case blockText:
		t.blocks[index] = blockState{kind: kindText}
		if text := cb.Get("text").Str; text != "" {
			return t.content(text, out)
		}
	case blockToolUse:
		name := cb.Get("name").Str
		if t.jsonTool != "" && name == t.jsonTool {
			t.blocks[index] = blockState{kind: kindJSON}
			return out, nil
		}
		n := t.tools
		t.tools++
		t.blocks[index] = blockState{kind: kindTool, tool: n}
		return t.delta(out, llm.Delta{ToolCalls: []llm.ToolCall{{Index: &n, ID: cb.Get("id").Str, Type: "function",
			Function: llm.FunctionCall{Name: name}}}})
	default:
		t.blocks[index] = blockState{kind: kindOther}
	}
	return out, nil
}

func (t *translator) blockDelta(index int64, d gjson.Result, out [][]byte) ([][]byte, error) {
	b, ok := t.blocks[index]
	switch d.Get("type").Str {
	case "text_delta":
		if (!ok || b.kind == kindText) && t.jsonTool == "" {
			if text := d.Get("text").Str; text != "" {
				return t.content(text, out)
			}
		}
	case "input_json_delta":
		part := d.Get("partial_json").Str
		switch {
		case part == "" || !ok:
		case b.kind == kindJSON:
			return t.content(part, out)
		case b.kind == kindTool:
			n := b.tool
			return t.delta(out, llm.Delta{ToolCalls: []llm.ToolCall{{Index: &n, Function: llm.FunctionCall{Arguments: part}}}})
		}
	}
	// thinking_delta, signature_delta, citations_delta: not relayed.
	return out, nil
}

func (t *translator) content(text string, out [][]byte) ([][]byte, error) {
	return t.delta(out, llm.Delta{Content: &text})
}

func (t *translator) finish(stop string, out [][]byte) ([][]byte, error) {
	t.finished = true
	reason := finishReason(stop, t.jsonTool != "")
	out, err := t.start(out)
	if err != nil {
		return out, err
	}
	return t.emit(out, &llm.ChatChunk{Choices: []llm.ChunkChoice{{Delta: llm.Delta{}, FinishReason: &reason}}})
}

// delta appends a chunk with one choice delta, after the role chunk if that is still due.
func (t *translator) delta(out [][]byte, d llm.Delta) ([][]byte, error) {
	out, err := t.start(out)
	if err != nil {
		return out, err
	}
	return t.emit(out, &llm.ChatChunk{Choices: []llm.ChunkChoice{{Delta: d}}})
}

func (t *translator) start(out [][]byte) ([][]byte, error) {
	if t.started {
		return out, nil
	}
	t.started = true
	empty := ""
	return t.emit(out, &llm.ChatChunk{Choices: []llm.ChunkChoice{{Delta: llm.Delta{Role: llm.RoleAssistant, Content: &empty}}}})
}

func (t *translator) emit(out [][]byte, c *llm.ChatChunk) ([][]byte, error) {
	c.ID, c.Object, c.Created, c.Model = t.id, "chat.completion.chunk", t.created, t.model
	b, err := llm.Encode(c)
	if err != nil {
		return out, fmt.Errorf("%s: encode chunk: %w", Type, err)
	}
	return append(out, b), nil
}
