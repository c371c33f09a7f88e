package responsesapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/conduit-gw/conduit/internal/ids"
	"github.com/conduit-gw/conduit/internal/llm"
)

// Inline returns the request's body continuing the conversation of history on its own, for an
// upstream that does not know previous_response_id (Conduit answered it): the field dropped,
// the history's items then the request's own as the input. The ids Conduit gave items are
// dropped too, as an upstream refuses ids it does not know.
func (r *Request) Inline(history []json.RawMessage) ([]byte, error) {
	items := make([]json.RawMessage, 0, len(history)+len(r.Items))
	for _, it := range append(history[:len(history):len(history)], r.Items...) {
		if id := gjson.GetBytes(it, "id"); ids.Minted(id.Str) {
			var err error
			if it, err = sjson.DeleteBytes(it, "id"); err != nil {
				return nil, fmt.Errorf("responsesapi: drop an item id: %w", err)
			}
		}
		items = append(items, it)
	}
	input, err := json.Marshal(items)
	if err != nil {
		return nil, fmt.Errorf("responsesapi: encode input: %w", err)
	}
	body, err := sjson.SetRawBytes(bytes.Clone(r.Raw), "input", input)
	if err == nil {
		body, err = sjson.DeleteBytes(body, "previous_response_id")
	}
	if err != nil {
		return nil, fmt.Errorf("responsesapi: inline the conversation: %w", err)
	}
	return body, nil
}

// appendItems translates Responses items into chat messages: message items by role (a
// developer message becomes a system message, which every chat server knows),
// function_call items into the tool_calls of an assistant message (consecutive calls share
// one), function_call_output items into tool messages. Reasoning items are dropped. param
// names the request field the items came from, for errors.
func appendItems(msgs []llm.Message, items []json.RawMessage, param string) ([]llm.Message, error) {
	for i, raw := range items {
		it := gjson.ParseBytes(raw)
		typ := it.Get("type").Str
		if typ == "" && it.Get("role").Exists() {
			typ = "message"
		}
		var err error
		switch typ {
		case "message":
			msgs, err = appendMessage(msgs, it, param, i)
		case "function_call":
			msgs, err = appendCall(msgs, it, param, i)
		case "function_call_output":
			msgs, err = appendOutput(msgs, it, param, i)
		case "reasoning":
		default:
			err = itemError(param, i, "items of type "+quote(typ)+
				" are not supported for this model: its provider does not serve the Responses API natively")
		}
		if err != nil {
			return nil, err
		}
	}
	return msgs, nil
}

func itemError(param string, i int, msg string) *llm.Error {
	return llm.InvalidRequest(param, fmt.Sprintf("%s[%d]: %s", param, i, msg))
}

func appendMessage(msgs []llm.Message, it gjson.Result, param string, i int) ([]llm.Message, error) {
	role := it.Get("role").Str
	switch role {
	case llm.RoleUser, llm.RoleAssistant, llm.RoleSystem:
	case llm.RoleDeveloper:
		role = llm.RoleSystem
	default:
		return nil, itemError(param, i, `role must be "user", "assistant", "system" or "developer", not `+quote(role))
	}
	c := it.Get("content")
	if c.Type == gjson.String {
		return append(msgs, llm.Message{Role: role, Content: llm.Content{Text: c.Str}}), nil
	}
	if !c.IsArray() {
		return nil, itemError(param, i, "content must be a string or an array of content parts")
	}
	var parts []llm.ContentPart
	var err error
	c.ForEach(func(_, p gjson.Result) bool {
		var part llm.ContentPart
		var ok bool
		part, ok, err = contentPart(p, param, i)
		if ok {
			parts = append(parts, part)
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	m := llm.Message{Role: role}
	switch {
	case role != llm.RoleUser:
		// System and assistant messages of chat servers hold text only.
		var b strings.Builder
		for _, p := range parts {
			if p.Type != llm.PartText {
				return nil, itemError(param, i, role+" messages may hold text only")
			}
			b.WriteString(p.Text)
		}
		m.Content = llm.Content{Text: b.String()}
	case len(parts) == 1 && parts[0].Type == llm.PartText:
		m.Content = llm.Content{Text: parts[0].Text}
	default:
		m.Content = llm.Content{IsParts: true, Parts: parts}
	}
	return append(msgs, m), nil
}

// contentPart translates one content part; ok is false for parts that carry nothing.
func contentPart(p gjson.Result, param string, i int) (llm.ContentPart, bool, error) {
	switch t := p.Get("type").Str; t {
	case "input_text", "output_text", "text":
		s := p.Get("text").Str
		return llm.ContentPart{Type: llm.PartText, Text: s}, s != "", nil
	case "refusal":
		s := p.Get("refusal").Str
		return llm.ContentPart{Type: llm.PartText, Text: s}, s != "", nil
	case "input_image":
		u := p.Get("image_url").Str
		if u == "" {
			return llm.ContentPart{}, false, itemError(param, i, "input_image parts need an image_url (an https or data: URL); file_id is not supported for this model")
		}
		img := &llm.ImageURL{URL: u}
		if d := p.Get("detail").Str; d != "" {
			img.Detail = d
		}
		return llm.ContentPart{Type: llm.PartImageURL, ImageURL: img}, true, nil
	case "input_file":
		return filePart(p, param, i)
	default:
		return llm.ContentPart{}, false, itemError(param, i, "content parts of type "+quote(t)+" are not supported for this model")
	}
}

// filePart turns an input_file with inline data (or an OpenAI file id) into a chat file part;
// providers that cannot read files refuse it.
func filePart(p gjson.Result, param string, i int) (llm.ContentPart, bool, error) {
	file := map[string]string{}
	switch {
	case p.Get("file_data").Str != "":
		file["file_data"] = p.Get("file_data").Str
		file["filename"] = p.Get("filename").Str
		if file["filename"] == "" {
			file["filename"] = "file"
		}
	case p.Get("file_id").Str != "":
		file["file_id"] = p.Get("file_id").Str
	default:
		return llm.ContentPart{}, false, itemError(param, i, "input_file parts need file_data (file_url is not supported for this model)")
	}
	extra, err := marshal(map[string]any{"type": llm.PartFile, "file": file})
	if err != nil {
		return llm.ContentPart{}, false, fmt.Errorf("responsesapi: encode file part: %w", err)
	}
	return llm.ContentPart{Type: llm.PartFile, Extra: extra}, true, nil
}

// appendCall adds a function call to the assistant message it follows (or a new one).
func appendCall(msgs []llm.Message, it gjson.Result, param string, i int) ([]llm.Message, error) {
	id, name := it.Get("call_id").Str, it.Get("name").Str
	if id == "" || name == "" {
		return nil, itemError(param, i, "function_call items need a call_id and a name")
	}
	if ns := it.Get("namespace").Str; ns != "" {
		name = ns + NamespaceSep + name
	}
	args := it.Get("arguments").Str
	if args == "" {
		args = "{}"
	}
	tc := llm.ToolCall{ID: id, Type: "function", Function: llm.FunctionCall{Name: name, Arguments: args}}
	if n := len(msgs); n > 0 && msgs[n-1].Role == llm.RoleAssistant {
		last := &msgs[n-1]
		if len(last.ToolCalls) == 0 && last.Content.String() == "" {
			last.Content = llm.Content{Null: true}
		}
		last.ToolCalls = append(last.ToolCalls, tc)
		return msgs, nil
	}
	return append(msgs, llm.Message{Role: llm.RoleAssistant, Content: llm.Content{Null: true}, ToolCalls: []llm.ToolCall{tc}}), nil
}

// appendOutput adds a function's result as a tool message; an output given as parts keeps
// its text.
func appendOutput(msgs []llm.Message, it gjson.Result, param string, i int) ([]llm.Message, error) {
	id := it.Get("call_id").Str
	if id == "" {
		return nil, itemError(param, i, "function_call_output items need a call_id")
	}
	o := it.Get("output")
	var text string
	switch {
	case o.Type == gjson.String:
		text = o.Str
	case o.IsArray():
		var b strings.Builder
		o.ForEach(func(_, p gjson.Result) bool {
			if t := p.Get("type").Str; t == "input_text" || t == "output_text" || t == "text" {
				b.WriteString(p.Get("text").Str)
			}
			return true
		})
		text = b.String()
	case o.Exists() && o.Type != gjson.Null:
		return nil, itemError(param, i, "function_call_output output must be a string or an array of parts")
	}
	return append(msgs, llm.Message{Role: llm.RoleTool, ToolCallID: id, Content: llm.Content{Text: text}}), nil
}

// OutputItemsOf reads the output items of a response object (ours or an upstream's).
func OutputItemsOf(response []byte) ([]json.RawMessage, error) {
	out := gjson.GetBytes(response, "output")
	if !out.IsArray() {
		return nil, fmt.Errorf("responsesapi: response has no output array: %.200s", response)
	}
	var items []json.RawMessage
	out.ForEach(func(_, it gjson.Result) bool {
		items = append(items, json.RawMessage(it.Raw))
		return true
	})
	return items, nil
}

// WithIDs gives every item without an id one (msg_ for messages, item_ for others), as the
// input items list shows them.
func WithIDs(items []json.RawMessage) []json.RawMessage {
	out := make([]json.RawMessage, len(items))
	for i, it := range items {
		out[i] = it
		var id, typ gjson.Result
		llm.InPlace(it).ForEach(func(k, v gjson.Result) bool {
			switch {
			case k.Str == "id" && !id.Exists():
				id = v
			case k.Str == "type" && !typ.Exists():
				typ = v
			}
			return true
		})
		if id.Str != "" {
			continue
		}
		prefix := "item"
		if typ.Str == "message" || typ.Str == "" {
			prefix = "msg"
		}
		if b, ok := appendKey(it, "id", ids.New(prefix)); ok && !id.Exists() {
			out[i] = b
		} else if b, err := sjson.SetBytes(bytes.Clone(it), "id", ids.New(prefix)); err == nil {
			out[i] = b
		}
	}
	return out
}

// ItemsWithIDs is the request's input items as WithIDs gives them. The message built from a
// string input has no id: it gets one without being read.
func (r *Request) ItemsWithIDs() []json.RawMessage {
	if r.stringInput && len(r.Items) == 1 {
		if b, ok := appendKey(r.Items[0], "id", ids.New("msg")); ok {
			return []json.RawMessage{b}
		}
	}
	return WithIDs(r.Items)
}

// appendKey returns a copy of obj, a JSON object without key, with key set to the string v as
// its last member; ok is false when obj is no object.
func appendKey(obj []byte, key, v string) (out []byte, ok bool) {
	obj = bytes.TrimSpace(obj)
	if len(obj) < 2 || obj[0] != '{' || obj[len(obj)-1] != '}' {
		return nil, false
	}
	out = make([]byte, 0, len(obj)+len(key)+len(v)+8)
	out = append(out, obj[:len(obj)-1]...)
	if len(bytes.TrimSpace(out)) > 1 { // members before: "{" and more
		out = append(out, ',')
	}
	out = llm.AppendJSONString(out, key)
	out = append(out, ':')
	out = llm.AppendJSONString(out, v)
	return append(out, '}'), true
}
