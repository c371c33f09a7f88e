package gateway

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

// A stream that dies after its first byte reached the client may be continued on another
// deployment: the original request plus the text delivered so far as a trailing assistant
// message (a prefill), on a deployment whose model row says supports_prefill. The
// continuation's chunks are spliced into the client's stream so that it reads as one answer:
// one id, one role announcement, one finish reason, usage for the whole.

// soFar is what the client has received of an answer that may have to be continued.
type soFar struct {
	id       string // the answer's id, from its first chunk
	content  strings.Builder
	tools    []toolSoFar
	finished bool // a finish reason was delivered
}

// toolSoFar is one tool call as delivered so far.
type toolSoFar struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Function  toolFn `json:"function"`
	arguments strings.Builder
}

type toolFn struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// note takes one chunk the client received (single-choice answers only).
func (a *soFar) note(chunk []byte) {
	if a.id == "" {
		a.id = gjson.GetBytes(chunk, "id").Str
	}
	c := gjson.GetBytes(chunk, "choices.0")
	if !c.Exists() {
		return
	}
	if c.Get("finish_reason").Str != "" {
		a.finished = true
	}
	d := c.Get("delta")
	a.content.WriteString(d.Get("content").Str)
	d.Get("tool_calls").ForEach(func(_, t gjson.Result) bool {
		i := int(t.Get("index").Int())
		for len(a.tools) <= i {
			a.tools = append(a.tools, toolSoFar{Type: "function"})
		}
		tc := &a.tools[i]
		if id := t.Get("id").Str; id != "" {
			tc.ID = id
		}
		if n := t.Get("function.name").Str; n != "" {
			tc.Function.Name = n
		}
		tc.arguments.WriteString(t.Get("function.arguments").Str)
		return true
	})
}

// toolText is the names and arguments of the tool calls so far, for counting tokens.
func (a *soFar) toolText() string {
	var b strings.Builder
	for i := range a.tools {
		b.WriteString(a.tools[i].Function.Name)
		b.WriteString(a.tools[i].arguments.String())
	}
	return b.String()
}

// continuable reports whether the answer may be continued: a cut inside a tool call (its
// arguments not yet a whole JSON value) may not, since a prefill cannot resume it.
func (a *soFar) continuable() bool {
	for i := range a.tools {
		if !json.Valid([]byte(a.tools[i].arguments.String())) {
			return false
		}
	}
	return true
}

// outputLimits are the request fields that bound the answer's length in tokens.
var outputLimits = []string{"max_tokens", "max_completion_tokens"}

// continuation returns req with the answer so far as a trailing assistant message, and its
// output limits lowered by the delivered tokens, so that the whole answer keeps within the
// length the client asked for (a limit already spent leaves one token to finish with).
func (a *soFar) continuation(req *llm.ChatRequest, delivered int) (*llm.ChatRequest, error) {
	raw := req.Raw
	if raw == nil {
		var err error
		if raw, err = json.Marshal(req); err != nil {
			return nil, err
		}
	}
	msg := struct {
		Role      string      `json:"role"`
		Content   string      `json:"content"`
		ToolCalls []toolSoFar `json:"tool_calls,omitempty"`
	}{Role: "assistant", Content: a.content.String()}
	for i := range a.tools {
		t := a.tools[i]
		t.Function.Arguments = a.tools[i].arguments.String()
		msg.ToolCalls = append(msg.ToolCalls, t)
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	out, err := sjson.SetRawBytes(raw, "messages.-1", b)
	if err != nil {
		return nil, err
	}
	for _, f := range outputLimits {
		if v := gjson.GetBytes(out, f); v.Type == gjson.Number {
			if out, err = sjson.SetBytes(out, f, max(v.Int()-int64(delivered), 1)); err != nil {
				return nil, err
			}
		}
	}
	return llm.ParseChatRequest(out)
}

// splicer rewrites a continuation's chunks into the answer the client was receiving.
type splicer struct {
	id        string // the answer's id
	toolBase  int    // tool calls delivered before the cut: the continuation's follow them
	prompt    int    // the original request's prompt tokens, for the usage of the whole
	before    int    // completion tokens delivered before the cut
	announced bool   // the role was announced already (always, once anything was delivered)
}

func newSplicer(a *soFar, prompt, before int) *splicer {
	return &splicer{id: a.id, toolBase: len(a.tools), prompt: prompt, before: before, announced: true}
}

// splice returns chunk as part of the client's answer, or false when it adds nothing (the
// continuation's own role announcement).
func (s *splicer) splice(chunk []byte) ([]byte, bool) {
	out := chunk
	set := func(path string, v any) {
		if b, err := sjson.SetBytes(out, path, v); err == nil {
			out = b
		}
	}
	if id := gjson.GetBytes(out, "id"); id.Exists() && id.Str != s.id {
		set("id", s.id)
	}
	c := gjson.GetBytes(out, "choices.0")
	if c.Exists() {
		d := c.Get("delta")
		if s.announced && d.Get("role").Exists() {
			if onlyRole(d) && c.Get("finish_reason").Str == "" {
				return nil, false
			}
			if b, err := sjson.DeleteBytes(out, "choices.0.delta.role"); err == nil {
				out = b
			}
		}
		if s.toolBase > 0 {
			for i, t := range d.Get("tool_calls").Array() {
				set("choices.0.delta.tool_calls."+strconv.Itoa(i)+".index", t.Get("index").Int()+int64(s.toolBase))
			}
		}
	}
	if u := gjson.GetBytes(out, "usage"); u.IsObject() {
		cont := llm.ParseUsageResult(u)
		completion := s.before + cont.CompletionTokens
		set("usage.prompt_tokens", s.prompt)
		set("usage.completion_tokens", completion)
		set("usage.total_tokens", s.prompt+completion)
		// The continuation's prompt details (cached tokens) describe its own prompt, the
		// original plus the prefill; the original attempt's are unknown (its usage never
		// came), so none are reported rather than ones that belong to another prompt.
		if u.Get("prompt_tokens_details").Exists() {
			if b, err := sjson.DeleteBytes(out, "usage.prompt_tokens_details"); err == nil {
				out = b
			}
		}
	}
	return out, true
}

// onlyRole reports whether a delta announces the role and carries nothing else.
func onlyRole(d gjson.Result) bool {
	only := true
	d.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "role":
		case "content", "refusal":
			if v.Str != "" {
				only = false
			}
		default:
			if v.Type != gjson.Null {
				only = false
			}
		}
		return only
	})
	return only
}
