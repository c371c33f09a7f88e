package cohere

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

// This file translates an OpenAI chat completion request into a Cohere /v2/chat request.

type chatRequest struct {
	Model            string          `json:"model"`
	Messages         []message       `json:"messages"`
	Stream           bool            `json:"stream"`
	Tools            []tool          `json:"tools,omitempty"`
	ToolChoice       string          `json:"tool_choice,omitempty"`
	StrictTools      bool            `json:"strict_tools,omitempty"`
	ResponseFormat   *responseFormat `json:"response_format,omitempty"`
	MaxTokens        *int            `json:"max_tokens,omitempty"`
	StopSequences    []string        `json:"stop_sequences,omitempty"`
	Temperature      *float64        `json:"temperature,omitempty"`
	Seed             *int64          `json:"seed,omitempty"`
	FrequencyPenalty *float64        `json:"frequency_penalty,omitempty"`
	PresencePenalty  *float64        `json:"presence_penalty,omitempty"`
	K                *int64          `json:"k,omitempty"`
	P                *float64        `json:"p,omitempty"`
}

// message is a Cohere chat message; Content is a string or an array of content items.
type message struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content,omitempty"`
	ToolPlan   string          `json:"tool_plan,omitempty"`
	ToolCalls  []toolCall      `json:"tool_calls,omitempty"`
	ToolCallID string          `json:"tool_call_id,omitempty"`
}

type contentItem struct {
	Type     string        `json:"type"`
	Text     *string       `json:"text,omitempty"`
	ImageURL *llm.ImageURL `json:"image_url,omitempty"`
}

type toolCall struct {
	ID       string           `json:"id"`
	Type     string           `json:"type"`
	Function llm.FunctionCall `json:"function"`
}

type tool struct {
	Type     string      `json:"type"`
	Function functionDef `json:"function"`
}

type functionDef struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

type responseFormat struct {
	Type       string          `json:"type"`
	JSONSchema json.RawMessage `json:"json_schema,omitempty"`
}

// chatBody translates req into the /v2/chat body for model.
func chatBody(req *llm.ChatRequest, model string, stream bool) ([]byte, error) {
	if err := req.Decode(); err != nil { // the translation reads the typed request
		return nil, err
	}
	raw := gjson.Result{}
	if len(req.Raw) > 0 && gjson.ValidBytes(req.Raw) {
		raw = gjson.ParseBytes(req.Raw)
	}
	if err := checkParams(req, raw); err != nil {
		return nil, err
	}
	cr := chatRequest{
		Model:            model,
		Stream:           stream,
		MaxTokens:        req.MaxTokens,
		StopSequences:    req.Stop,
		Temperature:      req.Temperature,
		Seed:             req.Seed,
		FrequencyPenalty: req.FrequencyPenalty,
		PresencePenalty:  req.PresencePenalty,
		P:                req.TopP,
	}
	if req.MaxCompletionTokens != nil {
		cr.MaxTokens = req.MaxCompletionTokens
	}
	if k := raw.Get("top_k"); k.Exists() && k.Type != gjson.Null {
		if k.Type != gjson.Number || k.Num != float64(k.Int()) || k.Int() < 1 {
			return nil, llm.InvalidRequest("top_k", "top_k must be a positive integer")
		}
		v := k.Int()
		cr.K = &v
	}
	msgs, err := messages(req)
	if err != nil {
		return nil, err
	}
	cr.Messages = msgs
	if err := tools(req, &cr); err != nil {
		return nil, err
	}
	if cr.ResponseFormat, err = format(req.ResponseFormat); err != nil {
		return nil, err
	}
	return llm.Encode(cr)
}

// checkParams refuses the parameters Cohere cannot honour instead of dropping them.
func checkParams(req *llm.ChatRequest, raw gjson.Result) error {
	switch err := providers.CheckParams(Type, raw); {
	case err != nil:
		return err
	case req.N != nil && *req.N > 1:
		return llm.InvalidRequest("n", "n > 1 is not supported by cohere")
	case req.ParallelToolCalls != nil && !*req.ParallelToolCalls && len(req.Tools) > 0:
		return llm.InvalidRequest("parallel_tool_calls", "parallel_tool_calls=false is not supported by cohere")
	}
	return nil
}

func messages(req *llm.ChatRequest) ([]message, error) {
	out := make([]message, 0, len(req.Messages))
	for i := range req.Messages {
		m := &req.Messages[i]
		switch m.Role {
		case llm.RoleSystem, llm.RoleDeveloper:
			text, err := providers.PlainText(m.Content, i)
			if err != nil {
				return nil, err
			}
			out = append(out, message{Role: "system", Content: jsonString(text)})
		case llm.RoleUser:
			c, err := userContent(m.Content, i)
			if err != nil {
				return nil, err
			}
			out = append(out, message{Role: "user", Content: c})
		case llm.RoleAssistant:
			text, err := providers.PlainText(m.Content, i)
			if err != nil {
				return nil, err
			}
			am := message{Role: "assistant"}
			if len(m.ToolCalls) > 0 {
				// Text said before calling tools is what Cohere calls the tool plan.
				am.ToolPlan = text
				for _, tc := range m.ToolCalls {
					args := tc.Function.Arguments
					if strings.TrimSpace(args) == "" {
						args = "{}" // a call without arguments
					}
					am.ToolCalls = append(am.ToolCalls, toolCall{ID: tc.ID, Type: "function",
						Function: llm.FunctionCall{Name: tc.Function.Name, Arguments: args}})
				}
			} else if text != "" {
				am.Content = jsonString(text)
			} else {
				continue // Cohere refuses an empty assistant message
			}
			out = append(out, am)
		case llm.RoleTool:
			if m.ToolCallID == "" {
				return nil, llm.InvalidRequest("messages", fmt.Sprintf("messages[%d]: tool messages need a tool_call_id", i))
			}
			text, err := providers.PlainText(m.Content, i)
			if err != nil {
				return nil, err
			}
			out = append(out, message{Role: "tool", ToolCallID: m.ToolCallID, Content: jsonString(text)})
		default:
			return nil, llm.InvalidRequest("messages", fmt.Sprintf("messages[%d]: role %q is not supported by cohere", i, m.Role))
		}
	}
	return out, nil
}

func jsonString(s string) json.RawMessage {
	b, _ := llm.Encode(s)
	return b
}

// userContent keeps a string a string and translates text and image parts; Cohere reads
// https and data: image URLs itself.
func userContent(c llm.Content, i int) (json.RawMessage, error) {
	if !c.IsParts {
		return jsonString(c.Text), nil
	}
	items := make([]contentItem, 0, len(c.Parts))
	for _, p := range c.Parts {
		switch p.Type {
		case llm.PartText:
			items = append(items, contentItem{Type: "text", Text: &p.Text})
		case llm.PartImageURL:
			img := *p.ImageURL
			items = append(items, contentItem{Type: "image_url", ImageURL: &img})
		default:
			return nil, llm.InvalidRequest("messages", fmt.Sprintf("messages[%d]: content part type %q is not supported by cohere", i, p.Type))
		}
	}
	b, err := llm.Encode(items)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// tools translates the tool definitions and tool_choice. Cohere has no "call this function":
// a named tool_choice sends only that tool, with tool_choice REQUIRED.
func tools(req *llm.ChatRequest, cr *chatRequest) error {
	choice, name, err := providers.ParseToolChoice(Type, req.ToolChoice)
	if err != nil {
		return err
	}
	if len(req.Tools) == 0 {
		if choice == "required" || choice == "function" {
			return llm.InvalidRequest("tool_choice", "tool_choice requires tools")
		}
		return nil
	}
	for _, t := range req.Tools {
		if choice == "function" && t.Function.Name != name {
			continue
		}
		d := functionDef{Name: t.Function.Name, Description: t.Function.Description, Parameters: providers.ToolParameters(t)}
		cr.Tools = append(cr.Tools, tool{Type: "function", Function: d})
		// Cohere's strictness is per request: one strict tool makes them all strict.
		cr.StrictTools = cr.StrictTools || (t.Function.Strict != nil && *t.Function.Strict)
	}
	switch choice {
	case "none":
		cr.ToolChoice = "NONE"
	case "required":
		cr.ToolChoice = "REQUIRED"
	case "function":
		if len(cr.Tools) == 0 {
			return llm.InvalidRequest("tool_choice", fmt.Sprintf("tool_choice names %q, which is not among the tools", name))
		}
		cr.ToolChoice = "REQUIRED"
	}
	return nil
}

// format maps response_format: JSON mode, with the schema when one is given.
func format(raw json.RawMessage) (*responseFormat, error) {
	format, js, err := providers.ResponseFormat(Type, raw)
	if format == "" {
		return nil, err
	}
	f := &responseFormat{Type: "json_object"}
	if s := js.Get("schema"); s.IsObject() {
		f.JSONSchema = json.RawMessage(s.Raw)
	}
	return f, nil
}
