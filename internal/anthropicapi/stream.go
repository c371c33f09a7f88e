package anthropicapi

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/ids"
	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/sse"
)

// Event is one server-sent event of a Messages stream: written as "event: Name" and
// "data: Data" (one line of JSON).
type Event = sse.Named

// StreamTranslator turns the OpenAI chat.completion.chunk objects of one streamed answer into
// Anthropic's event sequence: message_start; for each text run and each tool call a
// content_block_start, its deltas and content_block_stop; message_delta (stop_reason, usage)
// and message_stop. Build one per request; it is not safe for concurrent use.
//
// The token counts of message_delta come from the final usage chunk, so the request must ask
// for it (ParseRequest sets stream_options.include_usage). When the upstream stream breaks,
// send ErrorEvent instead of calling End.
type StreamTranslator struct {
	alias     string
	started   bool // message_start was sent
	ended     bool // message_stop was sent
	next      int  // index of the next content block
	open      int  // index of the open block, -1 when none
	openTool  bool // the open block is a tool_use
	tools     map[int64]toolBlock
	sawTools  bool
	finish    string // OpenAI finish_reason
	usage     gjson.Result
	haveUsage bool
	err       error // the first event that could not be encoded
}

type toolBlock struct {
	index int    // content block index
	id    string // the tool call's id
}

// NewStreamTranslator returns a translator whose events name alias as the model.
func NewStreamTranslator(alias string) *StreamTranslator {
	return &StreamTranslator{alias: alias, open: -1, tools: map[int64]toolBlock{}}
}

// Event payloads; field order is the order of the JSON.
type (
	messageStart struct {
		Type    string  `json:"type"`
		Message message `json:"message"`
	}
	blockEvent struct {
		Type         string        `json:"type"`
		Index        int           `json:"index"`
		ContentBlock *contentBlock `json:"content_block,omitempty"`
		Delta        *blockDelta   `json:"delta,omitempty"`
	}
	blockDelta struct {
		Type        string  `json:"type"`
		Text        *string `json:"text,omitempty"`
		PartialJSON *string `json:"partial_json,omitempty"`
	}
	messageDelta struct {
		Type  string `json:"type"`
		Delta struct {
			StopReason   string  `json:"stop_reason"`
			StopSequence *string `json:"stop_sequence"`
		} `json:"delta"`
		Usage deltaUsage `json:"usage"`
	}
	deltaUsage struct {
		InputTokens          *int `json:"input_tokens,omitempty"`
		CacheReadInputTokens *int `json:"cache_read_input_tokens,omitempty"`
		OutputTokens         int  `json:"output_tokens"`
	}
)

// Chunk translates one OpenAI chunk. Tool-call arguments split across chunks are relayed as
// they come, as input_json_delta events of the call's block; a chunk whose arguments belong
// to an earlier call than the open one (no known server does this) names that call's block
// index even though it was stopped. Chunks after End are ignored. On an error no events are
// returned and the stream must end with ErrorEvent.
func (t *StreamTranslator) Chunk(openaiChunk []byte) ([]Event, error) {
	if t.ended {
		return nil, nil
	}
	if t.err != nil {
		return nil, t.err
	}
	r, err := llm.ParseChunk(openaiChunk)
	if err != nil {
		return nil, err
	}
	var out []Event
	out = t.start(out, r.Get("id").Str)
	if u := r.Get("usage"); u.IsObject() {
		t.usage, t.haveUsage = u, true
	}
	choice := r.Get("choices.0")
	if !choice.IsObject() {
		return out, nil // the usage chunk, or an empty one
	}
	d := choice.Get("delta")
	text := d.Get("content").Str
	if text == "" {
		text = d.Get("refusal").Str
	}
	if text != "" {
		out = t.text(out, text)
	}
	llm.EachToolCall(d, func(key int64, tc gjson.Result) { out = t.toolCall(out, tc, key) })
	if f := choice.Get("finish_reason"); f.Type == gjson.String && f.Str != "" {
		t.finish = f.Str
		out = t.stopBlock(out)
	}
	if t.err != nil {
		return nil, t.err
	}
	return out, nil
}

// End closes the message: the open block, message_delta with the stop reason and usage, and
// message_stop. It returns nothing when called again. On an error no events are returned and
// the stream must end with ErrorEvent instead.
func (t *StreamTranslator) End() ([]Event, error) {
	if t.ended {
		return nil, nil
	}
	if t.err != nil {
		return nil, t.err
	}
	out := t.start(nil, "")
	out = t.stopBlock(out)
	md := messageDelta{Type: "message_delta"}
	md.Delta.StopReason = stopReason(t.finish, t.sawTools)
	if t.haveUsage {
		u := usageOf(t.usage)
		md.Usage = deltaUsage{InputTokens: &u.InputTokens, CacheReadInputTokens: u.CacheReadInputTokens, OutputTokens: u.OutputTokens}
	}
	out = t.emit(out, "message_delta", &md)
	out = t.emit(out, "message_stop", map[string]string{"type": "message_stop"})
	t.ended = true
	if t.err != nil {
		return nil, t.err
	}
	return out, nil
}

// ErrorEvent is the event that ends a stream the upstream broke.
func ErrorEvent(e *llm.Error) Event {
	return Event{Name: "error", Data: ErrorBody(e)}
}

func (t *StreamTranslator) start(out []Event, id string) []Event {
	if t.started {
		return out
	}
	t.started = true
	return t.emit(out, "message_start", &messageStart{Type: "message_start", Message: message{
		ID: messageID(id), Type: "message", Role: llm.RoleAssistant, Model: t.alias, Content: []contentBlock{}}})
}

func (t *StreamTranslator) text(out []Event, text string) []Event {
	if t.open < 0 || t.openTool {
		out = t.stopBlock(out)
		empty := ""
		out = t.startBlock(out, &contentBlock{Type: "text", Text: &empty})
	}
	return t.emit(out, "content_block_delta", &blockEvent{Type: "content_block_delta", Index: t.open,
		Delta: &blockDelta{Type: "text_delta", Text: &text}})
}

func (t *StreamTranslator) toolCall(out []Event, tc gjson.Result, n int64) []Event {
	id := tc.Get("id").Str
	b, known := t.tools[n]
	if !known || (id != "" && id != b.id) {
		// A new call (some servers reuse index 0 for every call, with a new id).
		if id == "" {
			id = ids.New("toolu")
		}
		out = t.stopBlock(out)
		out = t.startBlock(out, &contentBlock{Type: "tool_use", ID: id, Name: tc.Get("function.name").Str,
			Input: json.RawMessage(`{}`)})
		b = toolBlock{index: t.open, id: id}
		t.tools[n] = b
		t.sawTools = true
	}
	if args := tc.Get("function.arguments").Str; args != "" {
		out = t.emit(out, "content_block_delta", &blockEvent{Type: "content_block_delta", Index: b.index,
			Delta: &blockDelta{Type: "input_json_delta", PartialJSON: &args}})
	}
	return out
}

func (t *StreamTranslator) startBlock(out []Event, cb *contentBlock) []Event {
	t.open, t.openTool = t.next, cb.Type == "tool_use"
	t.next++
	return t.emit(out, "content_block_start", &blockEvent{Type: "content_block_start", Index: t.open, ContentBlock: cb})
}

func (t *StreamTranslator) stopBlock(out []Event) []Event {
	if t.open < 0 {
		return out
	}
	out = t.emit(out, "content_block_stop", &blockEvent{Type: "content_block_stop", Index: t.open})
	t.open = -1
	return out
}

// emit appends one encoded event. The payloads are plain structs of strings and numbers, so
// encoding should not fail; if it does, the translator remembers the error and Chunk or End
// returns it instead of any events.
func (t *StreamTranslator) emit(out []Event, name string, v any) []Event {
	if t.err != nil {
		return out
	}
	b, err := marshal(v)
	if err != nil {
		t.err = &llm.Error{Status: http.StatusInternalServerError, Type: "api_error", Code: "internal_error",
			Message: "could not encode a stream event", Cause: fmt.Errorf("encode %s: %w", name, err)}
		return out
	}
	return append(out, Event{Name: name, Data: b})
}
