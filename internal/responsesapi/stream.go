package responsesapi

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/conduit-gw/conduit/internal/ids"
	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/sse"
)

// Event is one server-sent event of a Responses stream: written as "event: Name" and
// "data: Data" (one line of JSON whose "type" is Name).
type Event = sse.Named

// StreamTranslator turns the chat.completion.chunk objects of one streamed answer into the
// Responses event sequence: response.created and response.in_progress; for each text run a
// message item (output_item.added, content_part.added, output_text.delta…, output_text.done,
// content_part.done, output_item.done); for each tool call a function_call item
// (output_item.added, function_call_arguments.delta…, .done, output_item.done); then
// response.completed, or response.incomplete when the answer was cut by its length limit.
// Every event carries a sequence_number counting from 0. Build one per request; it is not
// safe for concurrent use.
//
// When the upstream stream breaks, call Fail instead of End.
type StreamTranslator struct {
	resp    *Response
	seq     int
	started bool
	ended   bool
	open    int // index in resp.Output of the open item, -1 when none
	bufs    []*strings.Builder
	calls   map[int64]int // chat tool-call index → output index
	finish  string
	usage   *Usage
	final   []byte // the response object as the terminal event carried it
}

// NewStreamTranslator returns a translator filling resp (a Skeleton).
func NewStreamTranslator(resp *Response) *StreamTranslator {
	return &StreamTranslator{resp: resp, open: -1, calls: map[int64]int{}}
}

// Response is the response object as streamed so far (complete after End or Fail).
func (t *StreamTranslator) Response() *Response { return t.resp }

// Final is the response object the stream ended with, encoded as its terminal event carried
// it; nil before End or Fail.
func (t *StreamTranslator) Final() []byte { return t.final }

// Event payloads; field order is the order of the JSON. emit fills in their evHead.
type (
	evHead struct {
		Type string `json:"type"`
		Seq  int    `json:"sequence_number"`
	}
	evItem struct {
		evHead
		OutputIndex int   `json:"output_index"`
		Item        *Item `json:"item"`
	}
	evPart struct {
		evHead
		ItemID       string `json:"item_id"`
		OutputIndex  int    `json:"output_index"`
		ContentIndex int    `json:"content_index"`
		Part         Part   `json:"part"`
	}
	evText struct {
		evHead
		ItemID       string  `json:"item_id"`
		OutputIndex  int     `json:"output_index"`
		ContentIndex int     `json:"content_index"`
		Delta        *string `json:"delta,omitempty"`
		Text         *string `json:"text,omitempty"`
		Logprobs     []any   `json:"logprobs"`
	}
	evArgs struct {
		evHead
		ItemID      string  `json:"item_id"`
		OutputIndex int     `json:"output_index"`
		Name        string  `json:"name,omitempty"`
		Delta       *string `json:"delta,omitempty"`
		Arguments   *string `json:"arguments,omitempty"`
	}
)

// Start returns response.created and response.in_progress (once).
func (t *StreamTranslator) Start() []Event {
	if t.started {
		return nil
	}
	t.started = true
	resp := t.encodeResponse() // the same object in both events: encoded once
	out := t.emitResponse(nil, "response.created", resp)
	return t.emitResponse(out, "response.in_progress", resp)
}

// Chunk translates one chat chunk. Chunks after End or Fail are ignored.
func (t *StreamTranslator) Chunk(chatChunk []byte) ([]Event, error) {
	if t.ended {
		return nil, nil
	}
	r, err := llm.ParseChunk(chatChunk)
	if err != nil {
		return nil, err
	}
	out := t.Start()
	if u := r.Get("usage"); u.IsObject() {
		if pu := llm.ParseUsageResult(u); pu.PromptTokens+pu.CompletionTokens > 0 {
			t.usage = UsageOf(pu)
		}
	}
	choice := r.Get("choices.0")
	if !choice.IsObject() {
		return out, nil // the usage chunk, or an empty one
	}
	d := choice.Get("delta")
	if text := d.Get("content").Str; text != "" {
		out = t.text(out, text)
	}
	llm.EachToolCall(d, func(key int64, tc gjson.Result) { out = t.toolCall(out, tc, key) })
	if ref := d.Get("refusal").Str; ref != "" {
		out = t.text(out, ref) // relayed as text: a refusal part has no delta event of its own here
	}
	if f := choice.Get("finish_reason"); f.Type == gjson.String && f.Str != "" {
		t.finish = f.Str
	}
	return out, nil
}

// End closes the open item and returns response.completed (or response.incomplete) with the
// whole output and usage. It returns nil when called again.
func (t *StreamTranslator) End() []Event {
	if t.ended {
		return nil
	}
	out := t.Start()
	out = t.closeItem(out)
	t.resp.Finish(t.finish, t.usage)
	t.ended = true
	name := "response.completed"
	if t.resp.Status == StatusIncomplete {
		name = "response.incomplete"
	}
	t.final = t.encodeResponse()
	return t.emitResponse(out, name, t.final)
}

// Fail ends a stream the upstream broke with response.failed naming e.
func (t *StreamTranslator) Fail(e *llm.Error) []Event {
	if t.ended {
		return nil
	}
	out := t.Start()
	out = t.closeItem(out)
	t.resp.Fail(e)
	t.resp.Usage = t.usage
	t.ended = true
	t.final = t.encodeResponse()
	return t.emitResponse(out, "response.failed", t.final)
}

func (t *StreamTranslator) text(out []Event, text string) []Event {
	if t.open < 0 || t.resp.Output[t.open].Type != "message" {
		out = t.closeItem(out)
		out = t.openItem(out, Item{ID: ids.New("msg"), Type: "message", Status: StatusInProgress,
			Role: llm.RoleAssistant, Content: &[]Part{}})
		it := &t.resp.Output[t.open]
		empty := ""
		out = t.emit(out, "response.content_part.added", &evPart{ItemID: it.ID, OutputIndex: t.open,
			Part: Part{Type: "output_text", Text: &empty, Annotations: &[]any{}}})
	}
	t.bufs[t.open].WriteString(text)
	return t.emit(out, "response.output_text.delta", &evText{ItemID: t.resp.Output[t.open].ID,
		OutputIndex: t.open, Delta: &text, Logprobs: []any{}})
}

func (t *StreamTranslator) toolCall(out []Event, tc gjson.Result, n int64) []Event {
	id := tc.Get("id").Str
	idx, known := t.calls[n]
	if !known || (id != "" && id != t.resp.Output[idx].CallID) {
		// A new call (some servers reuse index 0 for every call, with a new id).
		if id == "" {
			id = ids.New("call")
		}
		out = t.closeItem(out)
		empty := ""
		ns, name := t.resp.callName(tc.Get("function.name").Str)
		out = t.openItem(out, Item{ID: ids.New("fc"), Type: "function_call", Status: StatusInProgress,
			CallID: id, Name: name, Namespace: ns, Arguments: &empty})
		idx = t.open
		t.calls[n] = idx
	}
	args := tc.Get("function.arguments").Str
	if args == "" {
		return out
	}
	t.bufs[idx].WriteString(args)
	if idx != t.open { // arguments of a call already closed: its done event said less
		a := t.bufs[idx].String()
		t.resp.Output[idx].Arguments = &a
	}
	return t.emit(out, "response.function_call_arguments.delta", &evArgs{ItemID: t.resp.Output[idx].ID,
		OutputIndex: idx, Delta: &args})
}

func (t *StreamTranslator) openItem(out []Event, it Item) []Event {
	t.resp.Output = append(t.resp.Output, it)
	t.bufs = append(t.bufs, &strings.Builder{})
	t.open = len(t.resp.Output) - 1
	added := it // the event shows the item as it was when added
	return t.emit(out, "response.output_item.added", &evItem{OutputIndex: t.open, Item: &added})
}

// closeItem ends the open item: its done events, with the full text or arguments.
func (t *StreamTranslator) closeItem(out []Event) []Event {
	if t.open < 0 {
		return out
	}
	i := t.open
	t.open = -1
	it := &t.resp.Output[i]
	full := t.bufs[i].String()
	it.Status = StatusCompleted
	switch it.Type {
	case "message":
		out = t.emit(out, "response.output_text.done", &evText{ItemID: it.ID, OutputIndex: i,
			Text: &full, Logprobs: []any{}})
		part := textPart(full)
		out = t.emit(out, "response.content_part.done", &evPart{ItemID: it.ID, OutputIndex: i, Part: part})
		it.Content = &[]Part{part}
	case "function_call":
		it.Arguments = &full
		out = t.emit(out, "response.function_call_arguments.done", &evArgs{ItemID: it.ID, OutputIndex: i,
			Name: it.Name, Arguments: &full})
	}
	done := *it
	return t.emit(out, "response.output_item.done", &evItem{OutputIndex: i, Item: &done})
}

// emit encodes an event payload named name, setting its type and sequence number.
func (t *StreamTranslator) emit(out []Event, name string, v interface{ head() *evHead }) []Event {
	h := v.head()
	h.Type, h.Seq = name, t.seq
	t.seq++
	b, err := marshal(v)
	if err != nil { // the payloads are plain structs and raw JSON checked on the way in
		panic("responsesapi: encode " + name + ": " + err.Error())
	}
	return append(out, Event{Name: name, Data: b})
}

func (h *evHead) head() *evHead { return h }

// encodeResponse encodes the response object as it stands.
func (t *StreamTranslator) encodeResponse() []byte {
	b, err := t.resp.Marshal()
	if err != nil { // plain structs and raw JSON checked on the way in
		panic(err.Error())
	}
	return b
}

// emitResponse appends an event named name that carries the response object resp (encoded).
func (t *StreamTranslator) emitResponse(out []Event, name string, resp []byte) []Event {
	ev := responseEvent(name, t.seq, resp)
	t.seq++
	return append(out, ev)
}

// responseEvent is an event named name that carries the response object resp (encoded):
// {"type":name,"sequence_number":seq,"response":resp}, the order OpenAI sends.
func responseEvent(name string, seq int, resp []byte) Event {
	b := make([]byte, 0, len(resp)+len(name)+48)
	b = append(b, `{"type":`...)
	b = llm.AppendJSONString(b, name)
	b = append(b, `,"sequence_number":`...)
	b = strconv.AppendInt(b, int64(seq), 10)
	b = append(b, `,"response":`...)
	b = append(append(b, resp...), '}')
	return Event{Name: name, Data: b}
}

// FailedEvent is the response.failed event that ends a stream the upstream broke: response,
// the response object the stream began with (its response.created), marked failed with e.
// Without one it is the error event.
func FailedEvent(response []byte, e *llm.Error, seq int) Event {
	if len(response) == 0 {
		return ErrorEvent(e, seq)
	}
	out, err := sjson.SetBytes(response, "status", StatusFailed)
	if err == nil {
		out, err = sjson.SetBytes(out, "error", ResponseError{Code: failCode(e), Message: e.Message})
	}
	if err != nil {
		return ErrorEvent(e, seq)
	}
	return responseEvent("response.failed", seq, out)
}

// ErrorEvent is a stream's "error" event, for failures before the response was created.
func ErrorEvent(e *llm.Error, seq int) Event {
	b, _ := marshal(map[string]any{"type": "error", "sequence_number": seq, "code": e.Code,
		"message": e.Message, "param": nullable(e.Param)})
	return Event{Name: "error", Data: b}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
