// Package anthropicapi serves Anthropic's Messages API (POST /v1/messages) on top of the
// canonical OpenAI shapes: it turns a Messages request into an llm.ChatRequest, and the
// OpenAI answer, whole or streamed, back into Anthropic's message and event stream.
// Its functions are pure: the HTTP handler owns the wire.
//
// Reasoning text that some OpenAI-compatible servers add (reasoning_content) is not relayed
// as thinking blocks, and stop_sequence is always null: OpenAI does not say which stop
// sequence ended an answer (it ends as end_turn).
package anthropicapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	wire "github.com/conduit-gw/conduit/internal/anthropicwire"
	"github.com/conduit-gw/conduit/internal/llm"
)

// messagesRequest is the part of a Messages request Conduit reads.
type messagesRequest struct {
	Model         string           `json:"model"`
	Messages      []inMessage      `json:"messages"`
	System        json.RawMessage  `json:"system"`
	MaxTokens     *int             `json:"max_tokens"`
	StopSequences []string         `json:"stop_sequences"`
	Temperature   *float64         `json:"temperature"`
	TopP          *float64         `json:"top_p"`
	TopK          *int             `json:"top_k"`
	Stream        bool             `json:"stream"`
	Tools         []wire.Tool      `json:"tools"`
	ToolChoice    *wire.ToolChoice `json:"tool_choice"`
	Metadata      *struct {
		UserID string `json:"user_id"`
	} `json:"metadata"`
	Thinking *struct {
		Type         string `json:"type"`
		BudgetTokens int    `json:"budget_tokens"`
	} `json:"thinking"`
	MCPServers json.RawMessage `json:"mcp_servers"`
	Container  json.RawMessage `json:"container"`
}

type inMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// ParseRequest turns a Messages request body into a canonical chat request with Raw nil, so
// that OpenAI-family adapters marshal the canonical fields. Errors are *llm.Error 400s naming
// the parameter.
//
// Dropped because the canonical request has no place for them and they only tune how the
// model gets to its answer: top_k, adaptive thinking (and thinking blocks in the history),
// cache_control, context_management, output_config, service_tier. Extended thinking with a
// budget becomes reasoning_effort; system messages inside messages stay system messages. Refused: server tools (web search, bash, ...), mcp_servers,
// container, and content blocks without an OpenAI equivalent.
func ParseRequest(body []byte) (*llm.ChatRequest, error) {
	var in messagesRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, jsonError(err)
	}
	if in.Model == "" {
		return nil, llm.InvalidRequest("model", "model: Field required")
	}
	if in.MaxTokens == nil {
		return nil, llm.InvalidRequest("max_tokens", "max_tokens: Field required")
	}
	if *in.MaxTokens < 1 {
		return nil, llm.InvalidRequest("max_tokens", "max_tokens: must be at least 1")
	}
	if len(in.Messages) == 0 {
		return nil, llm.InvalidRequest("messages", "messages: at least one message is required")
	}
	for _, f := range []struct {
		name string
		v    json.RawMessage
	}{{"mcp_servers", in.MCPServers}, {"container", in.Container}} {
		if v := bytes.TrimSpace(f.v); len(v) > 0 && string(v) != "null" {
			return nil, llm.InvalidRequest(f.name, f.name+" is not supported by this gateway")
		}
	}

	req := &llm.ChatRequest{
		Model: in.Model, Stream: in.Stream, Stop: in.StopSequences,
		MaxTokens: in.MaxTokens, Temperature: in.Temperature, TopP: in.TopP,
	}
	if in.Stream {
		// The usage chunk carries the token counts of message_delta.
		req.StreamOptions = &llm.StreamOptions{IncludeUsage: true}
	}
	if in.Metadata != nil {
		req.User = in.Metadata.UserID
	}
	req.ReasoningEffort = reasoningEffort(in.Thinking)
	system, err := systemText(in.System)
	if err != nil {
		return nil, err
	}
	if system != "" {
		req.Messages = append(req.Messages, llm.Message{Role: llm.RoleSystem, Content: llm.Content{Text: system}})
	}
	for i := range in.Messages {
		msgs, err := translateMessage(&in.Messages[i], i)
		if err != nil {
			return nil, err
		}
		req.Messages = append(req.Messages, msgs...)
	}
	if err := translateTools(&in, req); err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	return req, nil
}

// reasoningEffort maps extended thinking with a token budget to a reasoning effort. Adaptive
// thinking (the model decides) sets none: OpenAI models without reasoning refuse the field.
func reasoningEffort(th *struct {
	Type         string `json:"type"`
	BudgetTokens int    `json:"budget_tokens"`
}) string {
	switch {
	case th == nil || th.Type != "enabled":
		return ""
	case th.BudgetTokens <= 4096:
		return "low"
	case th.BudgetTokens <= 16384:
		return "medium"
	default:
		return "high"
	}
}

func jsonError(err error) *llm.Error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return llm.InvalidRequest(te.Field, te.Field+": expected "+te.Type.String())
	}
	return llm.InvalidRequest("", "could not parse the JSON body: "+err.Error())
}

// systemText reads the system prompt: a string or an array of text blocks, joined by a blank
// line.
func systemText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", llm.InvalidRequest("system", "system: "+err.Error())
		}
		return s, nil
	}
	var blocks []wire.Block
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return "", llm.InvalidRequest("system", "system must be a string or an array of text blocks")
	}
	var parts []string
	for _, b := range blocks {
		if b.Type != "text" {
			return "", llm.InvalidRequest("system", "system blocks must be of type \"text\", not "+quote(b.Type))
		}
		if b.Text != "" {
			parts = append(parts, b.Text)
		}
	}
	return strings.Join(parts, "\n\n"), nil
}

// blocks reads a message's content: a string (one text block) or an array of blocks.
func blocks(raw json.RawMessage, i int) ([]wire.Block, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, msgError(i, err.Error())
		}
		return []wire.Block{{Type: "text", Text: s}}, nil
	}
	var out []wire.Block
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &out) != nil {
		return nil, msgError(i, "content must be a string or an array of content blocks")
	}
	return out, nil
}

// translateMessage turns one Messages turn into canonical messages: a user turn's
// tool_result blocks become tool messages (placed first, as OpenAI wants them right after the
// assistant's tool calls), the rest a user message; an assistant turn's tool_use blocks
// become tool_calls.
func translateMessage(m *inMessage, i int) ([]llm.Message, error) {
	bs, err := blocks(m.Content, i)
	if err != nil {
		return nil, err
	}
	switch m.Role {
	case llm.RoleUser:
		return userMessages(bs, i)
	case llm.RoleAssistant:
		msg, err := assistantMessage(bs, i)
		if err != nil || msg == nil {
			return nil, err
		}
		return []llm.Message{*msg}, nil
	case llm.RoleSystem:
		// A system message inside the conversation (anthropic-beta
		// mid-conversation-system-2026-04-07) stays a system message where it was.
		var parts []string
		for _, b := range bs {
			if b.Type != "text" {
				return nil, msgError(i, "system messages may hold text blocks only, not "+quote(b.Type))
			}
			if b.Text != "" {
				parts = append(parts, b.Text)
			}
		}
		return []llm.Message{{Role: llm.RoleSystem, Content: llm.Content{Text: strings.Join(parts, "\n\n")}}}, nil
	default:
		return nil, msgError(i, "role must be \"user\", \"assistant\" or \"system\", not "+quote(m.Role))
	}
}

func userMessages(bs []wire.Block, i int) ([]llm.Message, error) {
	var (
		out   []llm.Message
		parts []llm.ContentPart
	)
	for _, b := range bs {
		if b.Type == "tool_result" {
			msg, images, err := toolMessage(b, i)
			if err != nil {
				return nil, err
			}
			out = append(out, msg)
			parts = append(parts, images...) // OpenAI tool messages hold text only
			continue
		}
		p, ok, err := contentPart(b, i)
		if err != nil {
			return nil, err
		}
		if ok {
			parts = append(parts, p)
		}
	}
	switch {
	case len(parts) == 1 && parts[0].Type == llm.PartText:
		out = append(out, llm.Message{Role: llm.RoleUser, Content: llm.Content{Text: parts[0].Text}})
	case len(parts) > 0:
		out = append(out, llm.Message{Role: llm.RoleUser, Content: llm.Content{IsParts: true, Parts: parts}})
	case len(out) == 0:
		// An empty user turn: keep it, the upstream judges.
		out = append(out, llm.Message{Role: llm.RoleUser, Content: llm.Content{}})
	}
	return out, nil
}

// contentPart translates a user content block; ok is false for blocks that are dropped.
func contentPart(b wire.Block, i int) (llm.ContentPart, bool, error) {
	switch b.Type {
	case "text":
		return llm.ContentPart{Type: llm.PartText, Text: b.Text}, b.Text != "", nil
	case "image":
		u, err := imageURL(b.Source, i)
		if err != nil {
			return llm.ContentPart{}, false, err
		}
		return llm.ContentPart{Type: llm.PartImageURL, ImageURL: &llm.ImageURL{URL: u}}, true, nil
	case "document":
		return documentPart(b, i)
	case "thinking", "redacted_thinking":
		return llm.ContentPart{}, false, nil
	default:
		return llm.ContentPart{}, false, msgError(i, "content blocks of type "+quote(b.Type)+" are not supported by this gateway")
	}
}

func imageURL(s *wire.Source, i int) (string, error) {
	switch {
	case s == nil:
		return "", msgError(i, "image blocks need a source")
	case s.Type == "base64" && s.MediaType != "" && s.Data != "":
		return "data:" + s.MediaType + ";base64," + s.Data, nil
	case s.Type == "url" && s.URL != "":
		return s.URL, nil
	default:
		return "", msgError(i, "image source must be base64 (with media_type and data) or url")
	}
}

// documentPart turns a PDF into an OpenAI file part and a plain-text document into text.
func documentPart(b wire.Block, i int) (llm.ContentPart, bool, error) {
	s := b.Source
	switch {
	case s != nil && s.Type == "base64" && s.MediaType == "application/pdf" && s.Data != "":
		name := b.Title
		if name == "" {
			name = "document.pdf"
		}
		extra, err := json.Marshal(map[string]any{"type": llm.PartFile, "file": map[string]string{
			"filename": name, "file_data": "data:application/pdf;base64," + s.Data}})
		if err != nil {
			return llm.ContentPart{}, false, fmt.Errorf("encode file part: %w", err)
		}
		return llm.ContentPart{Type: llm.PartFile, Extra: extra}, true, nil
	case s != nil && s.Type == "text":
		return llm.ContentPart{Type: llm.PartText, Text: s.Data}, s.Data != "", nil
	default:
		return llm.ContentPart{}, false, msgError(i, "document blocks must be base64 PDFs or plain text")
	}
}

// toolMessage turns a tool_result into a tool message; images in it are returned apart.
func toolMessage(b wire.Block, i int) (llm.Message, []llm.ContentPart, error) {
	if b.ToolUseID == "" {
		return llm.Message{}, nil, msgError(i, "tool_result blocks need a tool_use_id")
	}
	var (
		texts  []string
		images []llm.ContentPart
	)
	if c := bytes.TrimSpace(b.Content); len(c) > 0 && string(c) != "null" {
		inner, err := blocks(c, i)
		if err != nil {
			return llm.Message{}, nil, err
		}
		for _, ib := range inner {
			p, ok, err := contentPart(ib, i)
			if err != nil {
				return llm.Message{}, nil, err
			}
			switch {
			case !ok:
			case p.Type == llm.PartText:
				texts = append(texts, p.Text)
			default:
				images = append(images, p)
			}
		}
	}
	text := strings.Join(texts, "\n")
	if b.IsError {
		text = "Error: " + text // OpenAI tool messages have no error flag
	}
	return llm.Message{Role: llm.RoleTool, ToolCallID: b.ToolUseID, Content: llm.Content{Text: text}}, images, nil
}

// assistantMessage joins text blocks and turns tool_use blocks into tool calls; nil when
// nothing is left (a turn of thinking blocks only).
func assistantMessage(bs []wire.Block, i int) (*llm.Message, error) {
	var (
		text  strings.Builder
		calls []llm.ToolCall
	)
	for _, b := range bs {
		switch b.Type {
		case "text":
			text.WriteString(b.Text)
		case "tool_use":
			if b.ID == "" || b.Name == "" {
				return nil, msgError(i, "tool_use blocks need an id and a name")
			}
			args := "{}"
			if in := bytes.TrimSpace(b.Input); len(in) > 0 && string(in) != "null" {
				var c bytes.Buffer
				if err := json.Compact(&c, in); err != nil {
					return nil, msgError(i, "tool_use input: "+err.Error())
				}
				args = c.String()
			}
			calls = append(calls, llm.ToolCall{ID: b.ID, Type: "function",
				Function: llm.FunctionCall{Name: b.Name, Arguments: args}})
		case "thinking", "redacted_thinking":
		default:
			return nil, msgError(i, "assistant content blocks of type "+quote(b.Type)+" are not supported by this gateway")
		}
	}
	m := &llm.Message{Role: llm.RoleAssistant, ToolCalls: calls, Content: llm.Content{Text: text.String()}}
	switch {
	case text.Len() == 0 && len(calls) == 0:
		return nil, nil
	case text.Len() == 0:
		m.Content = llm.Content{Null: true}
	}
	return m, nil
}

// translateTools maps custom tools and tool_choice.
func translateTools(in *messagesRequest, req *llm.ChatRequest) error {
	for i, t := range in.Tools {
		if t.Type != "" && t.Type != "custom" {
			return llm.InvalidRequest("tools", fmt.Sprintf("tools[%d]: tool type %s is not supported by this gateway", i, quote(t.Type)))
		}
		if t.Name == "" {
			return llm.InvalidRequest("tools", fmt.Sprintf("tools[%d]: name is required", i))
		}
		schema := bytes.TrimSpace(t.InputSchema)
		if len(schema) == 0 || string(schema) == "null" {
			schema = []byte(`{"type":"object","properties":{}}`)
		}
		req.Tools = append(req.Tools, llm.Tool{Type: "function",
			Function: llm.FunctionDef{Name: t.Name, Description: t.Description, Parameters: json.RawMessage(schema)}})
	}
	tc := in.ToolChoice
	if tc == nil {
		return nil
	}
	var choice string
	switch tc.Type {
	case "auto":
		choice = `"auto"`
	case "any":
		choice = `"required"`
	case "none":
		choice = `"none"`
	case "tool":
		if tc.Name == "" {
			return llm.InvalidRequest("tool_choice", "tool_choice.name is required for type \"tool\"")
		}
		choice = `{"type":"function","function":{"name":` + quote(tc.Name) + `}}`
	default:
		return llm.InvalidRequest("tool_choice", "tool_choice.type must be auto, any, tool or none")
	}
	if len(req.Tools) == 0 {
		return nil // OpenAI refuses tool_choice without tools; it means nothing then
	}
	req.ToolChoice = json.RawMessage(choice)
	if tc.DisableParallelToolUse {
		f := false
		req.ParallelToolCalls = &f
	}
	return nil
}

func msgError(i int, msg string) *llm.Error {
	return llm.InvalidRequest("messages", fmt.Sprintf("messages.%d: %s", i, msg))
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
