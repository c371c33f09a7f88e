package responsesapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/ids"
	"github.com/conduit-gw/conduit/internal/llm"
)

// Response statuses.
const (
	StatusInProgress = "in_progress"
	StatusCompleted  = "completed"
	StatusIncomplete = "incomplete"
	StatusFailed     = "failed"
)

// Response is a Responses API response object. Field order is the order of the JSON; the
// request's settings are echoed as OpenAI does.
type Response struct {
	ID                 string          `json:"id"`
	Object             string          `json:"object"`
	CreatedAt          int64           `json:"created_at"`
	Status             string          `json:"status"`
	Error              *ResponseError  `json:"error"`
	IncompleteDetails  *Incomplete     `json:"incomplete_details"`
	Instructions       json.RawMessage `json:"instructions"`
	MaxOutputTokens    *int            `json:"max_output_tokens"`
	Model              string          `json:"model"`
	Output             []Item          `json:"output"`
	ParallelToolCalls  bool            `json:"parallel_tool_calls"`
	PreviousResponseID *string         `json:"previous_response_id"`
	Reasoning          json.RawMessage `json:"reasoning"`
	Store              bool            `json:"store"`
	Temperature        *float64        `json:"temperature"`
	Text               json.RawMessage `json:"text"`
	ToolChoice         json.RawMessage `json:"tool_choice"`
	Tools              json.RawMessage `json:"tools"`
	TopP               *float64        `json:"top_p"`
	Truncation         string          `json:"truncation"`
	Usage              *Usage          `json:"usage"`
	User               *string         `json:"user"`
	Metadata           json.RawMessage `json:"metadata"`

	namespaces map[string]bool // the request's namespace tools
}

// callName splits a chat function name into a namespace tool's name and its function's.
func (r *Response) callName(chatName string) (namespace, name string) {
	if ns, fn, ok := strings.Cut(chatName, NamespaceSep); ok && r.namespaces[ns] {
		return ns, fn
	}
	return "", chatName
}

// ResponseError is the error of a failed response.
type ResponseError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Incomplete says why a response stopped early.
type Incomplete struct {
	Reason string `json:"reason"`
}

// Item is an output item: a message or a function call.
type Item struct {
	ID        string  `json:"id"`
	Type      string  `json:"type"`
	Status    string  `json:"status"`
	Role      string  `json:"role,omitempty"`
	Content   *[]Part `json:"content,omitempty"`
	CallID    string  `json:"call_id,omitempty"`
	Name      string  `json:"name,omitempty"`
	Namespace string  `json:"namespace,omitempty"`
	Arguments *string `json:"arguments,omitempty"`
}

// Part is a content part of an output message.
type Part struct {
	Type        string  `json:"type"`
	Text        *string `json:"text,omitempty"`
	Refusal     *string `json:"refusal,omitempty"`
	Annotations *[]any  `json:"annotations,omitempty"`
}

// Usage is a response's token accounting: the canonical counts under the Responses API's
// names, with the same details.
type Usage struct {
	InputTokens         int                         `json:"input_tokens"`
	InputTokensDetails  llm.PromptTokensDetails     `json:"input_tokens_details"`
	OutputTokens        int                         `json:"output_tokens"`
	OutputTokensDetails llm.CompletionTokensDetails `json:"output_tokens_details"`
	TotalTokens         int                         `json:"total_tokens"`
}

// UsageOf converts canonical usage.
func UsageOf(u llm.Usage) *Usage {
	out := &Usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
	out.InputTokensDetails.CachedTokens = u.CachedTokens()
	if u.CompletionTokensDetails != nil {
		out.OutputTokensDetails.ReasoningTokens = u.CompletionTokensDetails.ReasoningTokens
	}
	if out.TotalTokens == 0 {
		out.TotalTokens = out.InputTokens + out.OutputTokens
	}
	return out
}

// NewID returns a new response id. Ids made later sort after earlier ones, so the stored
// responses' index on them grows at its end.
func NewID() string { return ids.NewTimed("resp", time.Now()) }

// Skeleton returns the response object for req before any output: status in_progress, the
// request's settings echoed, model naming alias.
func (r *Request) Skeleton(id, alias string, createdAt int64) *Response {
	resp := &Response{
		ID: id, Object: "response", CreatedAt: createdAt, Status: StatusInProgress,
		Instructions: orNull(r.Instructions), MaxOutputTokens: r.MaxOutputTokens, Model: alias,
		Output: []Item{}, ParallelToolCalls: r.ParallelToolCalls == nil || *r.ParallelToolCalls,
		Reasoning: r.Reasoning, Store: r.Stores(), Temperature: r.Temperature, Text: r.Text,
		ToolChoice: r.ToolChoice, Tools: r.Tools, TopP: r.TopP, Truncation: r.Truncation,
		Metadata: r.Metadata,
	}
	gjson.GetBytes(r.Tools, `#(type=="namespace")#.name`).ForEach(func(_, n gjson.Result) bool {
		if resp.namespaces == nil {
			resp.namespaces = map[string]bool{}
		}
		resp.namespaces[n.Str] = true
		return true
	})
	if r.PreviousResponseID != "" {
		p := r.PreviousResponseID
		resp.PreviousResponseID = &p
	}
	if r.User != "" {
		u := r.User
		resp.User = &u
	}
	if isNull(resp.Reasoning) {
		resp.Reasoning = json.RawMessage(`{"effort":null,"summary":null}`)
	}
	if isNull(resp.Text) {
		resp.Text = json.RawMessage(`{"format":{"type":"text"}}`)
	}
	if isNull(resp.ToolChoice) {
		resp.ToolChoice = json.RawMessage(`"auto"`)
	}
	if isNull(resp.Tools) {
		resp.Tools = json.RawMessage(`[]`)
	}
	if isNull(resp.Metadata) {
		resp.Metadata = json.RawMessage(`{}`)
	}
	if resp.Truncation == "" {
		resp.Truncation = "disabled"
	}
	return resp
}

func isNull(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || string(b) == "null"
}

func orNull(b json.RawMessage) json.RawMessage {
	if isNull(b) {
		return json.RawMessage("null")
	}
	return b
}

// Marshal encodes the response.
func (r *Response) Marshal() ([]byte, error) {
	b, err := marshal(r)
	if err != nil {
		return nil, fmt.Errorf("responsesapi: encode response: %w", err)
	}
	return b, nil
}

// Finish sets the status from the chat finish reason and the usage.
func (r *Response) Finish(finish string, u *Usage) {
	r.Usage = u
	switch finish {
	case llm.FinishLength:
		r.Status, r.IncompleteDetails = StatusIncomplete, &Incomplete{Reason: "max_output_tokens"}
	case llm.FinishContentFilter:
		r.Status, r.IncompleteDetails = StatusIncomplete, &Incomplete{Reason: "content_filter"}
	default:
		r.Status = StatusCompleted
	}
}

// Fail marks the response failed with e's code and public message.
func (r *Response) Fail(e *llm.Error) {
	r.Status, r.Error = StatusFailed, &ResponseError{Code: failCode(e), Message: e.Message}
}

// failCode is the code a failed response names for e.
func failCode(e *llm.Error) string {
	if e.Code == "" {
		return "server_error"
	}
	return e.Code
}

// FromChatResponse fills resp (a Skeleton) from an OpenAI chat.completion: the first
// choice's text and refusal become a message item, its tool calls function_call items.
func FromChatResponse(chatJSON []byte, resp *Response) error {
	r, choice, err := llm.ParseCompletion(chatJSON)
	if err != nil {
		return err
	}
	m := choice.Get("message")
	var parts []Part
	if text := llm.ContentText(m.Get("content")); text != "" {
		parts = append(parts, textPart(text))
	}
	if ref := m.Get("refusal").Str; ref != "" {
		parts = append(parts, Part{Type: "refusal", Refusal: &ref})
	}
	if len(parts) > 0 {
		resp.Output = append(resp.Output, Item{ID: ids.New("msg"), Type: "message", Status: StatusCompleted,
			Role: llm.RoleAssistant, Content: &parts})
	}
	m.Get("tool_calls").ForEach(func(_, tc gjson.Result) bool {
		args := tc.Get("function.arguments").Str
		callID := tc.Get("id").Str
		if callID == "" {
			callID = ids.New("call")
		}
		ns, name := resp.callName(tc.Get("function.name").Str)
		resp.Output = append(resp.Output, Item{ID: ids.New("fc"), Type: "function_call", Status: StatusCompleted,
			CallID: callID, Name: name, Namespace: ns, Arguments: &args})
		return true
	})
	resp.Finish(choice.Get("finish_reason").Str, UsageOf(llm.ParseUsageResult(r.Get("usage"))))
	return nil
}

func textPart(text string) Part {
	return Part{Type: "output_text", Text: &text, Annotations: &[]any{}}
}

// OutputItems returns the response's output items as JSON, for the history of a later turn.
func (r *Response) OutputItems() ([]json.RawMessage, error) {
	out := make([]json.RawMessage, 0, len(r.Output))
	for i := range r.Output {
		b, err := marshal(&r.Output[i])
		if err != nil {
			return nil, fmt.Errorf("responsesapi: encode output item: %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}
