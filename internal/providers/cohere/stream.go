package cohere

import (
	"fmt"
	"io"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

// decoder translates Cohere's chat events into OpenAI chat.completion.chunk objects: a role
// chunk, content deltas (the tool plan counts as content), tool-call deltas indexed in call
// order, a finish_reason chunk and a usage-only chunk {"choices":[],"usage":{...}} at
// message-end, the end marker. Thinking content is not relayed.
//
// Its stream returns io.EOF after message-end and the end of the body, and an *llm.Error
// when the stream breaks, ends before message-end, or carries an error.
type decoder struct {
	q   *providers.Queue
	out providers.Chunks

	thinking map[int64]bool // content blocks that are thinking, by index
	tools    map[int64]int  // Cohere tool-call index → OpenAI index
	done     bool           // message-end seen
}

func newDecoder(model string, created int64, fallbackID string) *decoder {
	return &decoder{out: providers.Chunks{ID: fallbackID, Model: model, Created: created},
		thinking: map[int64]bool{}, tools: map[int64]int{}}
}

func newStream(body io.ReadCloser, model string, created int64, fallbackID string) *providers.EventStream {
	return providers.NewEventStream(body, newDecoder(model, created, fallbackID))
}

// End implements providers.EventDecoder.
func (s *decoder) End(err error, _ *providers.Queue) error {
	if s.done {
		return io.EOF // after message-end, however the body ends
	}
	return providers.ReadEnd(Type, err)
}

// Event implements providers.EventDecoder.
func (s *decoder) Event(name, data []byte, q *providers.Queue) error {
	s.q = q
	if string(data) == "[DONE]" {
		if s.done {
			return io.EOF
		}
		return providers.StreamCut(Type, fmt.Errorf("[DONE] before message-end: %w", io.ErrUnexpectedEOF))
	}
	switch {
	case s.done:
		return nil // nothing counts after message-end
	case string(name) == "error":
		return providers.StreamError(Type, data, errorPaths()...)
	case len(data) == 0:
		return nil
	}
	typ, obj, err := providers.TypedEvent(Type, name, data)
	if err != nil {
		return err
	}
	return s.translate(typ, obj, data)
}

func (s *decoder) translate(typ string, ev gjson.Result, data []byte) error {
	idx := ev.Get("index").Int()
	msg := ev.Get("delta.message")
	switch typ {
	case "message-start":
		if id := ev.Get("id").Str; id != "" && !s.out.Started() {
			s.out.ID = id
		}
		s.out.Start(s.q)
	case "content-start":
		s.out.Start(s.q)
		s.thinking[idx] = msg.Get("content.type").Str == "thinking"
	case "content-delta":
		if t := msg.Get("content.text"); !s.thinking[idx] && t.Type == gjson.String && t.Str != "" {
			s.out.Content(s.q, t.Str)
		}
	case "tool-plan-delta":
		if t := msg.Get("tool_plan"); t.Type == gjson.String && t.Str != "" {
			s.out.Content(s.q, t.Str)
		}
	case "tool-call-start":
		k := len(s.tools)
		s.tools[idx] = k
		tc := msg.Get("tool_calls")
		s.out.Delta(s.q, llm.Delta{ToolCalls: []llm.ToolCall{{Index: &k, ID: tc.Get("id").Str, Type: "function",
			Function: llm.FunctionCall{Name: tc.Get("function.name").Str, Arguments: tc.Get("function.arguments").Str}}}})
	case "tool-call-delta":
		k, ok := s.tools[idx]
		if !ok {
			e := providers.StreamError(Type, data)
			e.Message = "cohere sent a tool-call-delta without its tool-call-start"
			return e
		}
		if a := msg.Get("tool_calls.function.arguments").Str; a != "" {
			s.out.Delta(s.q, llm.Delta{ToolCalls: []llm.ToolCall{{Index: &k, Function: llm.FunctionCall{Arguments: a}}}})
		}
	case "message-end":
		d := ev.Get("delta")
		reason := d.Get("finish_reason").Str
		if err := finishError(reason, d.Get("error").Str, data); err != nil {
			return err
		}
		s.out.Finish(s.q, finishReason(reason, len(s.tools) > 0))
		s.out.Usage(s.q, usageOf(d.Get("usage")))
		s.done = true
	case "error":
		return providers.StreamError(Type, data, "message", "error.message", "delta.error", "error")
	}
	// content-end, tool-call-end, citation-start/end, debug and unknown events carry nothing
	// an OpenAI client reads.
	return nil
}
