package cohere

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

// ChatStream starts a streamed chat completion. It returns once the upstream has answered
// with a success status; chunks are read by Next.
func (c *Client) ChatStream(ctx context.Context, req *llm.ChatRequest, model string) (llm.ChunkStream, error) {
	body, err := chatBody(req, model, true)
	if err != nil {
		return nil, err
	}
	return c.http.OpenEvents(ctx, c.base+"/chat", body, newDecoder(model, c.now().Unix(), "chatcmpl-"+c.newID()))
}

// decoder translates Cohere's chat events into OpenAI chat.completion.chunk objects: a role
// chunk, content deltas (the tool plan counts as content), tool-call deltas indexed in call
// order, a finish_reason chunk and a usage-only chunk {"choices":[],"usage":{...}} at
// message-end, the end marker. Thinking content is not relayed.
//
// Its stream returns io.EOF after message-end and the end of the body, and an *llm.Error
// when the stream breaks, ends before message-end, or carries an error.
type decoder struct {
	q       *providers.Queue
	id      string
	model   string
	created int64

	started  bool
	thinking map[int64]bool // content blocks that are thinking, by index
	tools    map[int64]int  // Cohere tool-call index → OpenAI index
	done     bool           // message-end seen
}

func newDecoder(model string, created int64, fallbackID string) *decoder {
	return &decoder{id: fallbackID, model: model, created: created,
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
func (s *decoder) Event(ev sse.Event, q *providers.Queue) error {
	s.q = q
	data := bytes.TrimSpace(ev.Data)
	if string(data) == "[DONE]" {
		if s.done {
			return io.EOF
		}
		return providers.StreamCut(Type, fmt.Errorf("[DONE] before message-end: %w", io.ErrUnexpectedEOF))
	}
	switch {
	case s.done:
		return nil // nothing counts after message-end
	case string(ev.Name) == "error":
		return providers.StreamError(Type, data, errorPaths()...)
	case len(data) == 0:
		return nil
	}
	if _, err := providers.EventObject(Type, data); err != nil {
		return err
	}
	ev2 := gjson.ParseBytes(data)
	typ := ev2.Get("type").Str
	if typ == "" {
		typ = string(ev.Name)
	}
	return s.translate(typ, ev2, data)
}

func (s *decoder) translate(typ string, ev gjson.Result, data []byte) error {
	idx := ev.Get("index").Int()
	msg := ev.Get("delta.message")
	switch typ {
	case "message-start":
		if id := ev.Get("id").Str; id != "" && !s.started {
			s.id = id
		}
		s.role()
	case "content-start":
		s.role()
		s.thinking[idx] = msg.Get("content.type").Str == "thinking"
	case "content-delta":
		if t := msg.Get("content.text"); !s.thinking[idx] && t.Type == gjson.String && t.Str != "" {
			s.role()
			s.push(llm.ChunkChoice{Delta: llm.Delta{Content: &t.Str}})
		}
	case "tool-plan-delta":
		if t := msg.Get("tool_plan"); t.Type == gjson.String && t.Str != "" {
			s.role()
			s.push(llm.ChunkChoice{Delta: llm.Delta{Content: &t.Str}})
		}
	case "tool-call-start":
		s.role()
		k := len(s.tools)
		s.tools[idx] = k
		tc := msg.Get("tool_calls")
		s.push(llm.ChunkChoice{Delta: llm.Delta{ToolCalls: []llm.ToolCall{{Index: &k, ID: tc.Get("id").Str, Type: "function",
			Function: llm.FunctionCall{Name: tc.Get("function.name").Str, Arguments: tc.Get("function.arguments").Str}}}}})
	case "tool-call-delta":
		k, ok := s.tools[idx]
		if !ok {
			e := providers.StreamError(Type, data)
			e.Message = "cohere sent a tool-call-delta without its tool-call-start"
			return e
		}
		if a := msg.Get("tool_calls.function.arguments").Str; a != "" {
			s.push(llm.ChunkChoice{Delta: llm.Delta{ToolCalls: []llm.ToolCall{{Index: &k, Function: llm.FunctionCall{Arguments: a}}}}})
		}
	case "message-end":
		d := ev.Get("delta")
		reason := d.Get("finish_reason").Str
		if err := finishError(reason, d.Get("error").Str, data); err != nil {
			return err
		}
		s.role()
		fr := finishReason(reason, len(s.tools) > 0)
		s.push(llm.ChunkChoice{FinishReason: &fr})
		u := usageOf(d.Get("usage"))
		s.q.Push(s.encode(llm.ChatChunk{Choices: []llm.ChunkChoice{}, Usage: &u}))
		s.done = true
	case "error":
		return providers.StreamError(Type, data, "message", "error.message", "delta.error", "error")
	}
	// content-end, tool-call-end, citation-start/end, debug and unknown events carry nothing
	// an OpenAI client reads.
	return nil
}

// role queues the role chunk once.
func (s *decoder) role() {
	if s.started {
		return
	}
	s.started = true
	empty := ""
	s.push(llm.ChunkChoice{Delta: llm.Delta{Role: llm.RoleAssistant, Content: &empty}})
}

func (s *decoder) push(c llm.ChunkChoice) {
	s.q.Push(s.encode(llm.ChatChunk{Choices: []llm.ChunkChoice{c}}))
}

// encode fills the chunk's envelope and encodes it on one line.
func (s *decoder) encode(c llm.ChatChunk) []byte {
	c.ID, c.Object, c.Created, c.Model = s.id, "chat.completion.chunk", s.created, s.model
	b, _ := llm.Encode(c) // strings, ints and pointers to them: encoding cannot fail
	return b
}
