package cohere

import (
	"fmt"
	"net/http"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

// This file translates Cohere chat responses into OpenAI chat completions.

// translateResponse converts a /v2/chat response.
func translateResponse(body []byte, model string, created int64, newID func() string) ([]byte, llm.Usage, error) {
	r := gjson.ParseBytes(body)
	msg := r.Get("message")
	if !msg.IsObject() {
		return nil, llm.Usage{}, malformed(fmt.Errorf("cohere: response without a message: %.200s", body))
	}
	reason := r.Get("finish_reason").Str
	if err := finishError(reason, r.Get("error").Str, body); err != nil {
		err.Retryable = true // nothing reached the client: another deployment may do better
		return nil, llm.Usage{}, err
	}
	text, hasText := "", false
	msg.Get("content").ForEach(func(_, c gjson.Result) bool {
		if c.Get("type").Str == "text" {
			text += c.Get("text").Str
			hasText = true
		}
		return true
	})
	if !hasText && msg.Get("content").Type == gjson.String {
		text, hasText = msg.Get("content").Str, true
	}
	if plan := msg.Get("tool_plan").Str; !hasText && plan != "" {
		// The tool plan is the text a model says before calling tools: OpenAI's content.
		text, hasText = plan, true
	}
	var calls []llm.ToolCall
	msg.Get("tool_calls").ForEach(func(_, tc gjson.Result) bool {
		args := tc.Get("function.arguments").Str
		if args == "" {
			args = "{}"
		}
		calls = append(calls, llm.ToolCall{ID: tc.Get("id").Str, Type: "function",
			Function: llm.FunctionCall{Name: tc.Get("function.name").Str, Arguments: args}})
		return true
	})
	m := llm.Message{Role: llm.RoleAssistant, ToolCalls: calls, Content: llm.Content{Text: text, Null: !hasText}}
	id := r.Get("id").Str
	if id == "" {
		id = "chatcmpl-" + newID()
	}
	u := usageOf(r.Get("usage"))
	out := llm.ChatResponse{ID: id, Object: "chat.completion", Created: created, Model: model, Usage: &u,
		Choices: []llm.Choice{{Index: 0, Message: m, FinishReason: finishReason(reason, len(calls) > 0)}}}
	b, err := llm.Encode(out)
	if err != nil {
		return nil, llm.Usage{}, err
	}
	return b, u, nil
}

// finishReason maps Cohere's finish_reason; calls reports whether the message calls tools.
func finishReason(reason string, calls bool) string {
	switch reason {
	case "MAX_TOKENS", "ERROR_LIMIT":
		return llm.FinishLength
	case "ERROR_TOXIC":
		return llm.FinishContentFilter
	case "TOOL_CALL":
		return llm.FinishToolCalls
	}
	if calls {
		return llm.FinishToolCalls
	}
	return llm.FinishStop
}

// finishError returns the error a failed generation ends with (finish_reason ERROR or
// TIMEOUT), nil otherwise.
func finishError(reason, msg string, data []byte) *llm.Error {
	if reason != "ERROR" && reason != "TIMEOUT" {
		return nil
	}
	if msg == "" {
		msg = "generation failed (finish_reason " + reason + ")"
	}
	e := llm.Upstream("cohere: "+msg, fmt.Errorf("cohere: finish_reason %s: %.2000s", reason, data))
	if reason == "TIMEOUT" {
		e.Status, e.Code = http.StatusGatewayTimeout, llm.CodeUpstreamTimeout
	}
	return e
}

// usageOf maps Cohere's usage: the billed units (what Cohere charges, without the tokens of
// its own prompt template), falling back to the raw token counts.
func usageOf(u gjson.Result) llm.Usage {
	count := func(field string) int {
		if v := u.Get("billed_units." + field); v.Exists() {
			return int(v.Int())
		}
		return int(u.Get("tokens." + field).Int())
	}
	out := llm.Usage{PromptTokens: count("input_tokens"), CompletionTokens: count("output_tokens")}
	out.TotalTokens = out.PromptTokens + out.CompletionTokens
	if c := u.Get("cached_tokens"); c.Exists() {
		out.PromptTokensDetails = &llm.PromptTokensDetails{CachedTokens: int(c.Int())}
	}
	return out
}
