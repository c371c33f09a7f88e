package anthropicapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tidwall/gjson"

	wire "github.com/conduit-gw/conduit/internal/anthropicwire"
	"github.com/conduit-gw/conduit/internal/ids"
	"github.com/conduit-gw/conduit/internal/llm"
)

// message is an Anthropic message object. Field order is the order of the JSON.
type message struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	Role         string         `json:"role"`
	Model        string         `json:"model"`
	Content      []contentBlock `json:"content"`
	StopReason   *string        `json:"stop_reason"`
	StopSequence *string        `json:"stop_sequence"`
	Usage        usage          `json:"usage"`
}

type contentBlock struct {
	Type  string          `json:"type"`
	Text  *string         `json:"text,omitempty"`
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
}

type usage struct {
	InputTokens              int  `json:"input_tokens"`
	CacheCreationInputTokens *int `json:"cache_creation_input_tokens,omitempty"`
	CacheReadInputTokens     *int `json:"cache_read_input_tokens,omitempty"`
	OutputTokens             int  `json:"output_tokens"`
}

// FromChatResponse turns an OpenAI chat.completion into an Anthropic message naming alias as
// its model. Only the first choice is used. Tool-call arguments that are not a JSON object
// become an empty input object (Anthropic's input must be one).
func FromChatResponse(openaiJSON []byte, alias string) ([]byte, error) {
	r, choice, err := llm.ParseCompletion(openaiJSON)
	if err != nil {
		return nil, err
	}
	m := choice.Get("message")
	content := []contentBlock{}
	text := llm.ContentText(m.Get("content"))
	if text == "" {
		text = m.Get("refusal").Str
	}
	if text != "" {
		content = append(content, contentBlock{Type: "text", Text: &text})
	}
	tools := false
	m.Get("tool_calls").ForEach(func(_, tc gjson.Result) bool {
		id := tc.Get("id").Str
		if id == "" {
			id = ids.New("toolu")
		}
		content = append(content, contentBlock{Type: "tool_use", ID: id, Name: tc.Get("function.name").Str,
			Input: inputObject(tc.Get("function.arguments").Str)})
		tools = true
		return true
	})
	stop := stopReason(choice.Get("finish_reason").Str, tools)
	out := message{
		ID: messageID(r.Get("id").Str), Type: "message", Role: llm.RoleAssistant, Model: alias,
		Content: content, StopReason: &stop, Usage: usageOf(r.Get("usage")),
	}
	b, err := marshal(&out)
	if err != nil {
		return nil, fmt.Errorf("anthropicapi: encode message: %w", err)
	}
	return b, nil
}

// inputObject parses tool-call arguments into the input object of a tool_use block.
func inputObject(args string) json.RawMessage {
	args = strings.TrimSpace(args)
	if args == "" || !gjson.Valid(args) || !gjson.Parse(args).IsObject() {
		return json.RawMessage(`{}`)
	}
	var b bytes.Buffer
	if json.Compact(&b, []byte(args)) != nil {
		return json.RawMessage(`{}`)
	}
	return b.Bytes()
}

// stopReason maps OpenAI's finish_reason. Some servers end a tool-calling answer with "stop";
// Anthropic clients loop on "tool_use", so tool calls win.
func stopReason(finish string, tools bool) string {
	switch finish {
	case llm.FinishLength:
		return wire.StopMaxTokens
	case llm.FinishContentFilter:
		return wire.StopRefusal
	case llm.FinishToolCalls, "function_call":
		return wire.StopToolUse
	}
	if tools {
		return wire.StopToolUse
	}
	return wire.StopEndTurn
}

// messageID makes an Anthropic-looking id: msg_ ids pass, others get the prefix.
func messageID(id string) string {
	switch {
	case id == "":
		return ids.New("msg")
	case strings.HasPrefix(id, "msg_"):
		return id
	default:
		return "msg_" + strings.TrimPrefix(id, "chatcmpl-")
	}
}

// usageOf converts OpenAI usage: Anthropic's input_tokens exclude cache reads, which it
// reports apart.
func usageOf(u gjson.Result) usage {
	cached := int(u.Get("prompt_tokens_details.cached_tokens").Int())
	zero := 0
	return usage{
		InputTokens:              max(int(u.Get("prompt_tokens").Int())-cached, 0),
		CacheCreationInputTokens: &zero,
		CacheReadInputTokens:     &cached,
		OutputTokens:             int(u.Get("completion_tokens").Int()),
	}
}
