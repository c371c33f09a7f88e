package gemini

import (
	"io"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

// decoder translates a Gemini event stream into OpenAI chat.completion.chunk objects: a role
// chunk per choice, content and tool-call deltas, a finish_reason chunk per choice and, once
// the upstream has ended after every candidate finished, a usage-only chunk
// {"choices":[],"usage":{...}}.
//
// Its stream returns io.EOF after the clean end and an *llm.Error when the stream breaks,
// ends before every candidate finished, or carries an error.
type decoder struct {
	t    *responseTranslator
	want int // candidates the request asked for

	started  map[int]bool // choices whose role chunk went out
	calls    map[int]int  // tool calls so far, per choice
	finished map[int]bool // choices that got their finish_reason
	usage    llm.Usage
	done     bool // every candidate finished: the end of the body is a clean end
}

// newDecoder decodes the events of a streamGenerateContent body; n is the number of
// candidates expected.
func newDecoder(t *responseTranslator, n int) *decoder {
	return &decoder{t: t, want: max(n, 1), started: map[int]bool{}, calls: map[int]int{},
		finished: map[int]bool{}}
}

func newStream(body io.ReadCloser, t *responseTranslator, n int) *providers.EventStream {
	return providers.NewEventStream(body, newDecoder(t, n))
}

// End implements providers.EventDecoder.
func (s *decoder) End(err error, q *providers.Queue) error {
	if s.done {
		// Every candidate finished: whatever closes the body now loses nothing.
		return s.end(q)
	}
	return providers.ReadEnd(Type, err)
}

// Event implements providers.EventDecoder.
func (s *decoder) Event(name, data []byte, q *providers.Queue) error {
	if (len(data) == 0 || string(data) == "[DONE]") && string(name) != "error" {
		return nil
	}
	if err := checkEvent(name, data); err != nil {
		if s.done {
			// Every candidate finished: a broken tail loses nothing of the answer.
			return s.end(q)
		}
		return err
	}
	s.translate(q, gjson.ParseBytes(data))
	return nil
}

// checkEvent returns the error an event carries or is, nil for a response object.
func checkEvent(name, data []byte) *llm.Error {
	switch {
	case string(name) == "error":
		return providers.StreamError(Type, data, "error.message", "message")
	case !llm.ValidObject(data):
		_, e := providers.EventObject(Type, data)
		return e
	case providers.HasTopLevelError(data):
		return providers.StreamError(Type, data, "error.message")
	}
	return nil
}

// translate queues the chunks of one GenerateContentResponse.
func (s *decoder) translate(q *providers.Queue, r gjson.Result) {
	s.t.responseID(r)
	if u := r.Get("usageMetadata"); u.IsObject() {
		s.usage = usageOf(u)
	}
	cands := r.Get("candidates").Array()
	if len(cands) == 0 && r.Get("promptFeedback.blockReason").Exists() {
		// The prompt was blocked: every choice ends at once.
		for i := range s.want {
			s.role(q, i)
			s.finish(q, i, llm.FinishContentFilter)
		}
	}
	for i, c := range cands {
		idx := i
		if v := c.Get("index"); v.Type == gjson.Number {
			idx = int(v.Int())
		}
		s.role(q, idx)
		text := ""
		var calls []toolCall
		c.Get("content.parts").ForEach(func(_, p gjson.Result) bool {
			switch {
			case p.Get("thought").Bool():
			case p.Get("functionCall").IsObject():
				tc := s.t.call(p)
				k := s.calls[idx]
				tc.Index = &k
				s.calls[idx]++
				calls = append(calls, tc)
			case p.Get("text").Type == gjson.String:
				text += p.Get("text").Str
			}
			return true
		})
		if text != "" {
			s.choice(q, chunkChoice{Index: idx, Delta: delta{Content: &text}})
		}
		if len(calls) > 0 {
			s.choice(q, chunkChoice{Index: idx, Delta: delta{ToolCalls: calls}})
		}
		if fr := c.Get("finishReason").Str; fr != "" && fr != "FINISH_REASON_UNSPECIFIED" {
			s.finish(q, idx, finishReason(fr, s.calls[idx] > 0))
		}
	}
	if len(s.finished) >= s.want {
		s.done = true
	}
}

// role queues the first chunk of a choice.
func (s *decoder) role(q *providers.Queue, idx int) {
	if s.started[idx] {
		return
	}
	s.started[idx] = true
	empty := ""
	s.choice(q, chunkChoice{Index: idx, Delta: delta{Role: "assistant", Content: &empty}})
}

func (s *decoder) finish(q *providers.Queue, idx int, reason string) {
	if s.finished[idx] {
		return
	}
	s.finished[idx] = true
	s.choice(q, chunkChoice{Index: idx, Delta: delta{}, FinishReason: &reason})
}

// end queues the usage chunk that closes every stream, and ends it.
func (s *decoder) end(q *providers.Queue) error {
	u := s.usage
	s.push(q, &chunk{Choices: []chunkChoice{}, Usage: &u})
	return io.EOF
}

func (s *decoder) choice(q *providers.Queue, c chunkChoice) {
	s.push(q, &chunk{Choices: []chunkChoice{c}})
}

func (s *decoder) push(q *providers.Queue, c *chunk) {
	q.Push(providers.EncodeChunk(c, s.t.id, s.t.model, s.t.created))
}
