package gemini

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

// This file translates Gemini responses into OpenAI chat completions.

// The package frames its own choices in llm.Envelope because Gemini tool calls carry a
// thought signature (extra_content, as in Google's own OpenAI compatibility layer), which
// llm.ToolCall has no room for.

// completion is an OpenAI chat.completion object.
type completion = llm.Envelope[choice]

type choice struct {
	Index        int     `json:"index"`
	Message      message `json:"message"`
	FinishReason string  `json:"finish_reason"`
}

type message struct {
	Role      string     `json:"role"`
	Content   *string    `json:"content"`
	ToolCalls []toolCall `json:"tool_calls,omitempty"`
}

// toolCall is an OpenAI tool call with Gemini's thought signature.
type toolCall struct {
	llm.ToolCall
	ExtraContent *extraContent `json:"extra_content,omitempty"`
}

// extraContent carries Gemini's thought signature; clients that send it back with the tool
// call (as Google's OpenAI SDK examples do) keep the model's reasoning across turns.
type extraContent struct {
	Google googleExtra `json:"google"`
}

type googleExtra struct {
	ThoughtSignature string `json:"thought_signature"`
}

// chunk is an OpenAI chat.completion.chunk object.
type chunk = llm.Envelope[chunkChoice]

type (
	chunkChoice = llm.ChunkChoiceOf[toolCall]
	delta       = llm.DeltaOf[toolCall]
)

// responseTranslator turns one response (whole or streamed) into OpenAI objects.
type responseTranslator struct {
	model   string
	created int64
	newID   func() string
	id      string
	// nextCall numbers the tool calls: Gemini gives them no ids, so they are call_<n>,
	// counted on from the calls already in the conversation so that ids stay unique in it.
	nextCall int
}

// nextCallIndex returns the first call number not used by the request's history.
func nextCallIndex(req *llm.ChatRequest) int {
	n := 0
	for i := range req.Messages {
		for _, tc := range req.Messages[i].ToolCalls {
			n++
			if k, err := strconv.Atoi(strings.TrimPrefix(tc.ID, "call_")); err == nil && strings.HasPrefix(tc.ID, "call_") && k >= n && k < 1<<30 {
				n = k + 1
			}
		}
	}
	return n
}

// responseID fixes the completion id on the first upstream object seen.
func (t *responseTranslator) responseID(r gjson.Result) string {
	if t.id == "" {
		if id := r.Get("responseId").Str; id != "" {
			t.id = "chatcmpl-" + id
		} else {
			t.id = "chatcmpl-" + t.newID()
		}
	}
	return t.id
}

// translate converts a generateContent response.
func (t *responseTranslator) translate(body []byte) ([]byte, llm.Usage, error) {
	r := gjson.ParseBytes(body)
	out := completion{ID: t.responseID(r), Object: "chat.completion", Created: t.created, Model: t.model, Choices: []choice{}}
	cands := r.Get("candidates")
	if cands.Exists() && !cands.IsArray() {
		return nil, llm.Usage{}, malformed(fmt.Errorf("gemini: candidates is not an array: %.200s", body))
	}
	for i, c := range cands.Array() {
		idx := i
		if v := c.Get("index"); v.Type == gjson.Number {
			idx = int(v.Int())
		}
		text, hasText := "", false
		var calls []toolCall
		c.Get("content.parts").ForEach(func(_, p gjson.Result) bool {
			switch {
			case p.Get("thought").Bool():
			case p.Get("functionCall").IsObject():
				calls = append(calls, t.call(p))
			case p.Get("text").Type == gjson.String:
				text += p.Get("text").Str
				hasText = true
			}
			return true
		})
		msg := message{Role: "assistant", ToolCalls: calls}
		if hasText {
			msg.Content = &text
		}
		out.Choices = append(out.Choices, choice{Index: idx, Message: msg, FinishReason: finishReason(c.Get("finishReason").Str, len(calls) > 0)})
	}
	if len(out.Choices) == 0 {
		if !r.Get("promptFeedback.blockReason").Exists() {
			return nil, llm.Usage{}, malformed(fmt.Errorf("gemini: response without candidates: %.200s", body))
		}
		// The prompt itself was blocked: no candidate at all.
		out.Choices = append(out.Choices, choice{Message: message{Role: "assistant"}, FinishReason: llm.FinishContentFilter})
	}
	u := usageOf(r.Get("usageMetadata"))
	out.Usage = &u
	b, err := json.Marshal(out)
	if err != nil {
		return nil, llm.Usage{}, fmt.Errorf("gemini: encode response: %w", err)
	}
	return b, u, nil
}

// call translates a functionCall part and numbers it.
func (t *responseTranslator) call(p gjson.Result) toolCall {
	fc := p.Get("functionCall")
	args := providers.ToolArguments(fc.Get("args"))
	tc := toolCall{ToolCall: llm.ToolCall{ID: "call_" + strconv.Itoa(t.nextCall), Type: "function",
		Function: llm.FunctionCall{Name: fc.Get("name").String(), Arguments: args}}}
	t.nextCall++
	if sig := p.Get("thoughtSignature").Str; sig != "" {
		tc.ExtraContent = &extraContent{Google: googleExtra{ThoughtSignature: sig}}
	}
	return tc
}

// finishReason maps Gemini's finishReason; calls reports whether the candidate called tools.
func finishReason(reason string, calls bool) string {
	switch reason {
	case "MAX_TOKENS":
		return llm.FinishLength
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "LANGUAGE",
		"IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
		return llm.FinishContentFilter
	}
	if calls {
		return llm.FinishToolCalls
	}
	return llm.FinishStop
}

// usageOf maps usageMetadata. Thinking tokens are billed as output, so they count as
// completion tokens (and as reasoning tokens), as OpenAI counts its reasoning models'.
func usageOf(m gjson.Result) llm.Usage {
	u := llm.Usage{
		PromptTokens:     int(m.Get("promptTokenCount").Int() + m.Get("toolUsePromptTokenCount").Int()),
		CompletionTokens: int(m.Get("candidatesTokenCount").Int() + m.Get("thoughtsTokenCount").Int()),
		TotalTokens:      int(m.Get("totalTokenCount").Int()),
	}
	if u.TotalTokens == 0 {
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
	}
	if c := m.Get("cachedContentTokenCount"); c.Exists() {
		u.PromptTokensDetails = &llm.PromptTokensDetails{CachedTokens: int(c.Int())}
	}
	if th := m.Get("thoughtsTokenCount"); th.Exists() {
		u.CompletionTokensDetails = &llm.CompletionTokensDetails{ReasoningTokens: int(th.Int())}
	}
	return u
}
