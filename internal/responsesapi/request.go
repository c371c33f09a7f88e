// Package responsesapi serves OpenAI's Responses API (POST /v1/responses) on top of the
// canonical chat shapes: it reads a Responses request, turns it into an llm.ChatRequest for
// providers that only speak chat, and turns the chat answer, whole or streamed, back into a
// Response object and its typed event stream. Its functions are pure: the HTTP handler owns
// the wire and the store owns persistence.
//
// Reasoning items passed back by a client are dropped when translating (a chat upstream has
// no place for them), and reasoning text some chat servers add (reasoning_content) is not
// relayed as reasoning items.
package responsesapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

// Request is a parsed Responses request: what routing, translation and the Response object's
// echo of the request need. Raw is the body as the client sent it; the raw fields are slices
// of it.
type Request struct {
	Model              string
	Input              json.RawMessage
	Instructions       json.RawMessage
	Tools              json.RawMessage
	ToolChoice         json.RawMessage
	ParallelToolCalls  *bool
	Text               json.RawMessage
	Reasoning          json.RawMessage
	MaxOutputTokens    *int
	Temperature        *float64
	TopP               *float64
	Metadata           json.RawMessage
	User               string
	Truncation         string
	Store              *bool
	Stream             bool
	PreviousResponseID string

	Raw []byte
	// Items is the input as a list of items (a string input becomes one user message).
	Items []json.RawMessage
	// untranslated is the first field a chat translation cannot honour ("" when none).
	untranslated string
	stringInput  bool         // the input is a string: Items is the message built from it
	input        gjson.Result // the input field as found in Raw
}

// Stores reports whether the response is to be kept (store defaults to true).
func (r *Request) Stores() bool { return r.Store == nil || *r.Store }

// ParseRequest reads and validates a Responses request body in one pass over its fields.
// Errors are *llm.Error 400s naming the parameter.
func ParseRequest(body []byte) (*Request, error) {
	// In place: values point into body, which is Raw and never changed; the strings kept are
	// copies, which outlive it.
	root := llm.InPlace(body)
	if !llm.ValidJSON(body) || !root.IsObject() {
		return nil, llm.InvalidRequest("", "We could not parse the JSON body of your request: it must be a JSON object.")
	}
	r := &Request{Raw: body}
	var err error
	root.ForEach(func(k, v gjson.Result) bool {
		err = r.field(k.Str, v)
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	if r.Model == "" {
		return nil, llm.InvalidRequest("model", "you must provide a model parameter")
	}
	if r.MaxOutputTokens != nil && *r.MaxOutputTokens < 1 {
		return nil, llm.InvalidRequest("max_output_tokens", "max_output_tokens must be at least 1")
	}
	switch r.Truncation {
	case "", "auto", "disabled":
	default:
		return nil, llm.InvalidRequest("truncation", `truncation must be "auto" or "disabled"`)
	}
	if r.Items, err = inputItems(body, r.input); err != nil {
		return nil, err
	}
	r.stringInput = r.input.Type == gjson.String
	if len(r.Items) == 0 && r.PreviousResponseID == "" {
		return nil, llm.InvalidRequest("input", "input must be a non-empty string or array of items")
	}
	if s := bytes.TrimSpace(r.Instructions); len(s) > 0 && s[0] != '"' && string(s) != "null" {
		return nil, llm.InvalidRequest("instructions", "instructions must be a string")
	}
	return r, nil
}

// field reads one top-level field of the body. Field names match as encoding/json matches
// them: exactly, else regardless of case.
func (r *Request) field(k string, v gjson.Result) error {
	if r.untranslated == "" && !translates(k, v) {
		r.untranslated = strings.Clone(k)
	}
	if read, ok := requestFields[k]; ok {
		return read(r, v)
	}
	for name, read := range requestFields {
		if strings.EqualFold(k, name) {
			return read(r, v)
		}
	}
	return nil
}

// A fieldReader reads the value of one field into the request.
type fieldReader func(r *Request, v gjson.Result) error

// requestFields are the fields ParseRequest reads, each with its reader.
var requestFields = map[string]fieldReader{
	"model":                str("model", func(r *Request) *string { return &r.Model }),
	"user":                 str("user", func(r *Request) *string { return &r.User }),
	"truncation":           str("truncation", func(r *Request) *string { return &r.Truncation }),
	"previous_response_id": str("previous_response_id", func(r *Request) *string { return &r.PreviousResponseID }),
	"input": func(r *Request, v gjson.Result) error {
		r.Input, r.input = rawOf(r.Raw, v), v
		return nil
	},
	"instructions":        raw(func(r *Request) *json.RawMessage { return &r.Instructions }),
	"tools":               raw(func(r *Request) *json.RawMessage { return &r.Tools }),
	"tool_choice":         raw(func(r *Request) *json.RawMessage { return &r.ToolChoice }),
	"text":                raw(func(r *Request) *json.RawMessage { return &r.Text }),
	"reasoning":           raw(func(r *Request) *json.RawMessage { return &r.Reasoning }),
	"metadata":            raw(func(r *Request) *json.RawMessage { return &r.Metadata }),
	"parallel_tool_calls": optBool("parallel_tool_calls", func(r *Request) **bool { return &r.ParallelToolCalls }),
	"store":               optBool("store", func(r *Request) **bool { return &r.Store }),
	"stream": func(r *Request, v gjson.Result) error {
		var b *bool
		err := optBool("stream", func(*Request) **bool { return &b })(r, v)
		if b != nil {
			r.Stream = *b
		}
		return err
	},
	"max_output_tokens": optNumber("max_output_tokens", "int", strconv.Atoi, func(r *Request) **int { return &r.MaxOutputTokens }),
	"temperature":       optNumber("temperature", "float64", parseFloat, func(r *Request) **float64 { return &r.Temperature }),
	"top_p":             optNumber("top_p", "float64", parseFloat, func(r *Request) **float64 { return &r.TopP }),
}

// translates reports whether the chat translation honours (or may drop) field k of value v.
func translates(k string, v gjson.Result) bool {
	switch {
	case translatedFields[k] || ignoredFields[k] || v.Type == gjson.Null:
		return true
	case k == "background" || k == "max_tool_calls":
		return v.Type == gjson.False || v.Type == gjson.Number
	}
	return false
}

// rawOf is value v of body as found by a scan of body: a slice of it, capped so that an append
// cannot write into body.
func rawOf(body []byte, v gjson.Result) json.RawMessage {
	if end := v.Index + len(v.Raw); v.Index > 0 && end <= len(body) && string(body[v.Index:end]) == v.Raw {
		return body[v.Index:end:end]
	}
	return json.RawMessage(v.Raw)
}

// The type errors name the Go type a field decodes into, as encoding/json's did.
func typeError(k, want string) error {
	return llm.InvalidRequest(k, "invalid type for '"+k+"': expected "+want)
}

// str reads string field k into the string at: null leaves it as it was.
func str(k string, at func(*Request) *string) fieldReader {
	return func(r *Request, v gjson.Result) error {
		switch v.Type {
		case gjson.String:
			*at(r) = llm.CloneString(v.Str)
		case gjson.Null:
		default:
			return typeError(k, "string")
		}
		return nil
	}
}

// raw keeps the value of a field as it is, at.
func raw(at func(*Request) *json.RawMessage) fieldReader {
	return func(r *Request, v gjson.Result) error {
		*at(r) = rawOf(r.Raw, v)
		return nil
	}
}

// optBool reads boolean field k into the pointer at: null makes it nil.
func optBool(k string, at func(*Request) **bool) fieldReader {
	return func(r *Request, v gjson.Result) error {
		switch v.Type {
		case gjson.True, gjson.False:
			b := v.Type == gjson.True
			*at(r) = &b
		case gjson.Null:
			*at(r) = nil
		default:
			return typeError(k, "bool")
		}
		return nil
	}
}

// optNumber reads number field k into the pointer at, its literal parsed by parse (want names
// the type in errors): null makes it nil.
func optNumber[T any](k, want string, parse func(string) (T, error), at func(*Request) **T) fieldReader {
	return func(r *Request, v gjson.Result) error {
		if v.Type == gjson.Null {
			*at(r) = nil
			return nil
		}
		n, err := parse(v.Raw)
		if v.Type != gjson.Number || err != nil {
			return typeError(k, want)
		}
		*at(r) = &n
		return nil
	}
}

func parseFloat(s string) (float64, error) { return strconv.ParseFloat(s, 64) }

// inputItems normalises input (v, found in body): a string becomes one user message item; an
// array is kept item by item, each checked to be an object.
func inputItems(body []byte, v gjson.Result) ([]json.RawMessage, error) {
	switch {
	case !v.Exists() || v.Type == gjson.Null:
		return nil, nil
	case v.Type == gjson.String:
		// The keys in the order encoding/json gives a map's.
		item := make([]byte, 0, len(v.Raw)+80)
		item = append(item, `{"content":[{"text":`...)
		item, err := appendStringJSON(item, v)
		if err != nil {
			return nil, fmt.Errorf("responsesapi: encode input item: %w", err)
		}
		item = append(item, `,"type":"input_text"}],"role":"user","type":"message"}`...)
		return []json.RawMessage{item}, nil
	case !v.IsArray():
		return nil, llm.InvalidRequest("input", "input must be a string or an array of input items")
	}
	var items []json.RawMessage
	var err error
	v.ForEach(func(_, it gjson.Result) bool {
		if !it.IsObject() {
			err = llm.InvalidRequest("input", fmt.Sprintf("input[%d] must be an object", len(items)))
			return false
		}
		items = append(items, rawOf(body, it))
		return true
	})
	return items, err
}

// appendStringJSON appends the JSON string v (a string of the body) as marshal writes it:
// v as it is in the body when it is plain ASCII without escapes, which marshal writes alike.
func appendStringJSON(dst []byte, v gjson.Result) ([]byte, error) {
	raw := v.Raw
	plain := len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"'
	for i := 0; plain && i < len(raw); i++ {
		plain = raw[i] != '\\' && raw[i] < utf8.RuneSelf
	}
	if plain {
		return append(dst, raw...), nil
	}
	text, err := marshal(v.Str)
	return append(dst, text...), err
}

// ignoredFields are request fields that only concern OpenAI's platform (bookkeeping, caching,
// what to include in the answer) and change nothing in a translated answer.
var ignoredFields = map[string]bool{
	"store": true, "metadata": true, "user": true, "truncation": true, "include": true,
	"prompt_cache_key": true, "prompt_cache_retention": true, "safety_identifier": true,
	"service_tier": true, "client_metadata": true, "stream_options": true, "previous_response_id": true,
	"top_logprobs": true,
}

// translatedFields are request fields the chat translation carries over.
var translatedFields = map[string]bool{
	"model": true, "input": true, "instructions": true, "tools": true, "tool_choice": true,
	"parallel_tool_calls": true, "text": true, "reasoning": true, "max_output_tokens": true,
	"temperature": true, "top_p": true, "stream": true,
}

// chatBody is the canonical chat request built from a Responses request.
type chatBody struct {
	Model             string             `json:"model"`
	Messages          []llm.Message      `json:"messages"`
	Stream            bool               `json:"stream,omitempty"`
	StreamOptions     *llm.StreamOptions `json:"stream_options,omitempty"`
	Tools             []llm.Tool         `json:"tools,omitempty"`
	ToolChoice        json.RawMessage    `json:"tool_choice,omitempty"`
	ParallelToolCalls *bool              `json:"parallel_tool_calls,omitempty"`
	ResponseFormat    json.RawMessage    `json:"response_format,omitempty"`
	MaxTokens         *int               `json:"max_tokens,omitempty"`
	Temperature       *float64           `json:"temperature,omitempty"`
	TopP              *float64           `json:"top_p,omitempty"`
	ReasoningEffort   string             `json:"reasoning_effort,omitempty"`
	User              string             `json:"user,omitempty"`
}

// ToChat translates the request, preceded by history (the items of earlier turns, from
// previous_response_id), into a canonical chat request whose Raw is the chat JSON. Fields a
// chat upstream cannot honour are refused by name; platform bookkeeping is dropped.
func (r *Request) ToChat(history []json.RawMessage) (*llm.ChatRequest, error) {
	if k := r.untranslated; k != "" {
		return nil, llm.InvalidRequest(k, k+" is not supported for this model: its provider does not serve the Responses API natively")
	}
	out := chatBody{Model: r.Model, Stream: r.Stream, ParallelToolCalls: r.ParallelToolCalls,
		MaxTokens: r.MaxOutputTokens, Temperature: r.Temperature, TopP: r.TopP, User: r.User}
	if r.Stream {
		out.StreamOptions = &llm.StreamOptions{IncludeUsage: true}
	}
	var instr string
	if len(r.Instructions) > 0 && string(r.Instructions) != "null" {
		_ = json.Unmarshal(r.Instructions, &instr) // checked to be a string by ParseRequest
	}
	if instr != "" {
		out.Messages = append(out.Messages, llm.Message{Role: llm.RoleSystem, Content: llm.Content{Text: instr}})
	}
	var err error
	if out.Messages, err = appendItems(out.Messages, history, "previous_response_id"); err != nil {
		return nil, err
	}
	if out.Messages, err = appendItems(out.Messages, r.Items, "input"); err != nil {
		return nil, err
	}
	if out.Tools, err = tools(r.Tools); err != nil {
		return nil, err
	}
	if out.ToolChoice, err = toolChoice(r.ToolChoice); err != nil {
		return nil, err
	}
	if out.ResponseFormat, err = responseFormat(r.Text); err != nil {
		return nil, err
	}
	if out.ReasoningEffort, err = reasoningEffort(r.Reasoning); err != nil {
		return nil, err
	}
	body, err := marshal(&out)
	if err != nil {
		return nil, fmt.Errorf("responsesapi: encode chat request: %w", err)
	}
	return llm.ParseChatRequest(body)
}

// Needs reports what the request asks of a deployment without translating it: vision when a
// message of its input or of history holds an input_image, tools when it offers a function
// (on its own or in a namespace).
func (r *Request) Needs(history []json.RawMessage) (vision, tools bool) {
	vision = hasImage(history) || hasImage(r.Items)
	if len(r.Tools) > 0 {
		gjson.ParseBytes(r.Tools).ForEach(func(_, t gjson.Result) bool {
			switch t.Get("type").Str {
			case "function":
				tools = true
			case "namespace":
				tools = t.Get(`tools.#(type=="function")`).Exists()
			}
			return !tools
		})
	}
	return vision, tools
}

// hasImage reports whether a message item holds an input_image part.
func hasImage(items []json.RawMessage) bool {
	for _, it := range items {
		if bytes.Contains(it, []byte("input_image")) && gjson.GetBytes(it, `content.#(type=="input_image")`).Exists() {
			return true
		}
	}
	return false
}

// NamespaceSep joins a namespace and a function name into the one chat function name a
// namespace tool's function becomes ("multi_agent__spawn").
const NamespaceSep = "__"

// inTool is a Responses tool: a function, a namespace of functions, or a built-in tool.
type inTool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
	Strict      *bool           `json:"strict"`
	Tools       []inTool        `json:"tools"`
}

func tools(raw json.RawMessage) ([]llm.Tool, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var in []inTool
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, llm.InvalidRequest("tools", "tools must be an array of tool objects")
	}
	// A namespace's functions become functions named namespace__name; calls of them come
	// back as function_call items naming the namespace.
	var flat []inTool
	for _, t := range in {
		if t.Type != "namespace" || t.Name == "" {
			flat = append(flat, t)
			continue
		}
		for _, f := range t.Tools {
			if f.Type == "function" && f.Name != "" {
				f.Name = t.Name + NamespaceSep + f.Name
			}
			flat = append(flat, f)
		}
	}
	var out []llm.Tool
	var builtin []string
	for i, t := range flat {
		switch {
		case t.Type == "function" && t.Name == "":
			return nil, llm.InvalidRequest("tools", fmt.Sprintf("tools[%d]: function tools need a name", i))
		case t.Type == "function":
			params := t.Parameters
			if len(bytes.TrimSpace(params)) == 0 || string(params) == "null" {
				params = json.RawMessage(`{"type":"object","properties":{}}`)
			}
			out = append(out, llm.Tool{Type: "function", Function: llm.FunctionDef{Name: t.Name,
				Description: t.Description, Parameters: params, Strict: t.Strict}})
		default:
			builtin = append(builtin, quote(t.Type))
		}
	}
	if len(builtin) > 0 {
		return nil, llm.InvalidRequest("tools", "tools of type "+strings.Join(builtin, ", ")+
			" are not supported for this model: only function tools are, as its provider does not serve the Responses API natively")
	}
	return out, nil
}

func toolChoice(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		switch string(raw) {
		case `"auto"`, `"none"`, `"required"`:
			return raw, nil
		}
		return nil, llm.InvalidRequest("tool_choice", `tool_choice must be "auto", "none", "required" or a function`)
	}
	v := gjson.ParseBytes(raw)
	if v.Get("type").Str == "function" && v.Get("name").Str != "" {
		return json.RawMessage(`{"type":"function","function":{"name":` + quote(v.Get("name").Str) + `}}`), nil
	}
	return nil, llm.InvalidRequest("tool_choice", "tool_choice of type "+quote(v.Get("type").Str)+
		" is not supported for this model: its provider does not serve the Responses API natively")
}

// responseFormat maps text.format to chat's response_format.
func responseFormat(text json.RawMessage) (json.RawMessage, error) {
	f := gjson.GetBytes(text, "format")
	switch f.Get("type").Str {
	case "", "text":
		return nil, nil
	case "json_object":
		return json.RawMessage(`{"type":"json_object"}`), nil
	case "json_schema":
		if f.Get("name").Str == "" || !f.Get("schema").IsObject() {
			return nil, llm.InvalidRequest("text.format", "text.format of type json_schema needs a name and a schema object")
		}
		js := map[string]json.RawMessage{"name": json.RawMessage(f.Get("name").Raw), "schema": json.RawMessage(f.Get("schema").Raw)}
		for _, k := range []string{"strict", "description"} {
			if v := f.Get(k); v.Exists() && v.Type != gjson.Null {
				js[k] = json.RawMessage(v.Raw)
			}
		}
		b, err := marshal(map[string]any{"type": "json_schema", "json_schema": js})
		if err != nil {
			return nil, fmt.Errorf("responsesapi: encode response_format: %w", err)
		}
		return b, nil
	}
	return nil, llm.InvalidRequest("text.format", "text.format.type must be text, json_object or json_schema")
}

// reasoningEffort maps reasoning.effort; reasoning.summary only shapes what OpenAI reports
// and is dropped.
func reasoningEffort(raw json.RawMessage) (string, error) {
	e := gjson.GetBytes(raw, "effort")
	switch e.Str {
	case "", "none", "minimal", "low", "medium", "high", "xhigh":
		if e.Exists() && e.Type != gjson.String && e.Type != gjson.Null {
			return "", llm.InvalidRequest("reasoning.effort", "reasoning.effort must be a string")
		}
		return e.Str, nil
	}
	return "", llm.InvalidRequest("reasoning.effort", "reasoning.effort must be none, minimal, low, medium, high or xhigh")
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// marshal is llm.Encode: JSON without HTML escaping, on one line.
func marshal(v any) ([]byte, error) { return llm.Encode(v) }
