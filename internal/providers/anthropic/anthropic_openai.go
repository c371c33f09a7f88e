package anthropic

// Response translation: Anthropic message → OpenAI chat.completion.

import (
	"fmt"
	"strings"

	"github.com/tidwall/gjson"

	wire "github.com/conduit-gw/conduit/internal/anthropicwire"
	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

// translateResponse turns an Anthropic message into an OpenAI chat.completion stamped with
// created. Text blocks become the content, tool_use blocks the tool_calls (or, for the
// response_format tool jsonTool, the content); thinking and other blocks are left out.
func translateResponse(body []byte, jsonTool string, created int64) ([]byte, llm.Usage, error) {
	msg := gjson.ParseBytes(body)
	content := msg.Get("content")
	if msg.Get("type").Str != "message" || !content.IsArray() {
		return nil, llm.Usage{}, fmt.Errorf("%s: answer is not a message: %.200s", Type, body)
	}
	var (
		text  strings.Builder
		calls []llm.ToolCall
	)
	for _, b := range content.Array() {
		switch b.Get("type").Str {
		case wire.BlockText:
			if jsonTool == "" {
				text.WriteString(b.Get("text").Str)
			}
		case wire.BlockToolUse:
			args := providers.ToolArguments(b.Get("input"))
			if jsonTool != "" && b.Get("name").Str == jsonTool {
				text.WriteString(args)
				continue
			}
			calls = append(calls, llm.ToolCall{ID: b.Get("id").Str, Type: "function",
				Function: llm.FunctionCall{Name: b.Get("name").Str, Arguments: args}})
		}
	}
	m := llm.Message{Role: llm.RoleAssistant, ToolCalls: calls}
	if text.Len() > 0 || len(calls) == 0 {
		m.Content = llm.Content{Text: text.String()}
	} else {
		m.Content = llm.Content{Null: true} // OpenAI's shape for a tool-calls-only answer
	}
	var tk tokens
	tk.update(msg.Get("usage"))
	usage := tk.openai()
	out := llm.ChatResponse{
		ID:      msg.Get("id").Str,
		Object:  "chat.completion",
		Created: created,
		Model:   msg.Get("model").Str,
		Choices: []llm.Choice{{Index: 0, Message: m,
			FinishReason: finishReason(msg.Get("stop_reason").Str, jsonTool != "")}},
		Usage: &usage,
	}
	b, err := llm.Encode(&out)
	if err != nil {
		return nil, llm.Usage{}, fmt.Errorf("%s: encode answer: %w", Type, err)
	}
	return b, usage, nil
}

// finishReason maps Anthropic's stop_reason to OpenAI's finish_reason. With a response_format
// tool (jsonMode) the forced tool_use is the answer itself, so it ends as "stop".
func finishReason(stop string, jsonMode bool) string {
	switch stop {
	case wire.StopMaxTokens, wire.StopContextWindow:
		return llm.FinishLength
	case wire.StopToolUse:
		if jsonMode {
			return llm.FinishStop
		}
		return llm.FinishToolCalls
	case wire.StopRefusal:
		return llm.FinishContentFilter
	case wire.StopEndTurn, wire.StopSequence, wire.StopPauseTurn:
		return llm.FinishStop
	default: // and whatever later API versions add
		return llm.FinishStop
	}
}

// tokens is Anthropic's usage. Its input_tokens exclude cached tokens, OpenAI's
// prompt_tokens include them: prompt_tokens = input + cache reads + cache writes.
type tokens struct {
	input, cacheRead, cacheCreation, output int64
}

// update takes the fields u carries: message_start has them all, message_delta repeats
// output_tokens (cumulative) and, in newer API versions, the others.
func (t *tokens) update(u gjson.Result) {
	for _, f := range []struct {
		key string
		dst *int64
	}{
		{"input_tokens", &t.input}, {"cache_read_input_tokens", &t.cacheRead},
		{"cache_creation_input_tokens", &t.cacheCreation}, {"output_tokens", &t.output},
	} {
		if v := u.Get(f.key); v.Type == gjson.Number {
			*f.dst = v.Int()
		}
	}
}

func (t tokens) openai() llm.Usage {
	u := llm.Usage{
		PromptTokens:        int(t.input + t.cacheRead + t.cacheCreation),
		CompletionTokens:    int(t.output),
		PromptTokensDetails: &llm.PromptTokensDetails{CachedTokens: int(t.cacheRead)},
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}
