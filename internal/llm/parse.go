package llm

import (
	"encoding/json"
	"errors"

	"github.com/tidwall/gjson"
)

// ParseChatRequest reads what routing needs from a client's OpenAI request (model, stream
// options, limits, whether it has images or tools) and validates its shape, without decoding
// the messages: the OpenAI wire family forwards the body as it is. Adapters that translate
// call Decode first. Errors are 400 invalid_request naming the parameter.
func ParseChatRequest(body []byte) (*ChatRequest, error) {
	if !ValidJSON(body) {
		var v any
		err := json.Unmarshal(body, &v)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, InvalidRequest("", "We could not parse the JSON body of your request: "+se.Error())
		}
		return nil, InvalidRequest("", "We could not parse the JSON body of your request.")
	}
	// In place: the values kept (model) point into body, which is Raw and never changed.
	root := InPlace(body)
	if !root.IsObject() {
		return nil, InvalidRequest("", "the request body must be a JSON object")
	}
	r := &ChatRequest{Raw: body}
	var err error
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			if v.Type != gjson.String {
				err = wrongType("model", "a string")
			}
			r.Model = CloneString(v.Str) // outlives the body in log rows: not a view of it
			r.modelDup = r.model.Exists()
			r.model = v
		case "messages":
			err = r.scanMessages(v)
		case "stream":
			err = boolean("stream", v, &r.Stream)
		case "stream_options":
			r.streamOptsKey = true
			if v.Type == gjson.Null {
				break
			}
			if !v.IsObject() {
				err = wrongType("stream_options", "an object")
				break
			}
			var inc bool
			if err = boolean("stream_options.include_usage", v.Get("include_usage"), &inc); err == nil {
				r.StreamOptions = &StreamOptions{IncludeUsage: inc}
			}
		case "n":
			r.N, err = optInt("n", v)
		case "max_tokens":
			r.MaxTokens, err = optInt("max_tokens", v)
		case "max_completion_tokens":
			r.MaxCompletionTokens, err = optInt("max_completion_tokens", v)
		case "tools":
			err = r.scanTools(v)
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	if r.Model == "" {
		return nil, InvalidRequest("model", "you must provide a model parameter")
	}
	if !r.scanned {
		return nil, InvalidRequest("messages", "messages must be a non-empty array")
	}
	if r.N != nil && *r.N < 1 {
		return nil, InvalidRequest("n", "n must be at least 1")
	}
	return r, nil
}

func (r *ChatRequest) scanMessages(v gjson.Result) error {
	if !v.IsArray() {
		return InvalidRequest("messages", "invalid type for 'messages': expected an array of messages")
	}
	n := 0
	var err error
	v.ForEach(func(_, m gjson.Result) bool {
		n++
		if !m.IsObject() {
			err = InvalidRequest("messages", "each message must be an object")
			return false
		}
		role := m.Get("role")
		switch role.Str {
		case RoleSystem, RoleDeveloper, RoleUser, RoleAssistant, RoleTool, "function":
		case "":
			err = InvalidRequest("messages", "each message needs a role")
			return false
		default:
			err = InvalidRequest("messages", "unknown message role "+quote(role.Str))
			return false
		}
		content := m.Get("content")
		switch {
		case !content.Exists(), content.Type == gjson.Null, content.Type == gjson.String:
		case content.IsArray():
			content.ForEach(func(_, p gjson.Result) bool {
				if !p.IsObject() || p.Get("type").Type != gjson.String {
					err = InvalidRequest("messages", "each content part needs a type")
					return false
				}
				if p.Get("type").Str == PartImageURL {
					if u := p.Get("image_url.url"); u.Type != gjson.String || u.Str == "" {
						err = InvalidRequest("messages", "image_url content parts need an image_url.url")
						return false
					}
					r.images = true
				}
				return true
			})
		default:
			err = InvalidRequest("messages", "content must be a string or an array of content parts")
		}
		return err == nil
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return InvalidRequest("messages", "messages must be a non-empty array")
	}
	r.scanned = true
	return nil
}

func (r *ChatRequest) scanTools(v gjson.Result) error {
	if v.Type == gjson.Null {
		return nil
	}
	if !v.IsArray() {
		return wrongType("tools", "an array")
	}
	var err error
	v.ForEach(func(_, t gjson.Result) bool {
		if t.Get("type").Str != "function" || t.Get("function.name").Type != gjson.String || t.Get("function.name").Str == "" {
			err = InvalidRequest("tools", "each tool needs type \"function\" and a function.name")
			return false
		}
		r.tools++
		return true
	})
	return err
}

// Decode fills every typed field from Raw (idempotent). Adapters that translate the request
// into another wire format call it; the OpenAI family forwards Raw and never needs it.
func (r *ChatRequest) Decode() error {
	if r.decoded || r.Raw == nil {
		return nil
	}
	raw := r.Raw
	var full ChatRequest
	if err := json.Unmarshal(raw, &full); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return InvalidRequest(te.Field, "invalid type for '"+te.Field+"': expected "+te.Type.String())
		}
		return InvalidRequest("", "invalid request body: "+err.Error())
	}
	*r = full
	r.Raw, r.decoded = raw, true
	return r.Validate()
}

// ToolCount is the number of tools the request offers.
func (r *ChatRequest) ToolCount() int {
	if r.decoded || r.Raw == nil || !r.scanned {
		return len(r.Tools)
	}
	return r.tools
}

func wrongType(param, want string) *Error {
	return InvalidRequest(param, "invalid type for '"+param+"': expected "+want)
}

func boolean(param string, v gjson.Result, dst *bool) error {
	switch v.Type {
	case gjson.True:
		*dst = true
	case gjson.False, gjson.Null:
		*dst = false
	default:
		if v.Exists() {
			return wrongType(param, "a boolean")
		}
	}
	return nil
}

func optInt(param string, v gjson.Result) (*int, error) {
	if v.Type == gjson.Null {
		return nil, nil
	}
	if v.Type != gjson.Number || v.Num != float64(int64(v.Num)) {
		return nil, wrongType(param, "an integer")
	}
	n := int(v.Num)
	return &n, nil
}

// ParseUsage reads OpenAI's "usage" object from a response or a stream chunk (zero when
// absent).
func ParseUsage(b []byte) Usage {
	return ParseUsageResult(gjson.GetBytes(b, "usage"))
}

// ParseUsageResult reads an OpenAI "usage" object already found (zero when it is not one).
func ParseUsageResult(u gjson.Result) Usage {
	if !u.IsObject() {
		return Usage{}
	}
	var out Usage
	u.ForEach(func(k, v gjson.Result) bool { // one pass over the object
		switch k.Str {
		case "prompt_tokens":
			out.PromptTokens = int(v.Int())
		case "completion_tokens":
			out.CompletionTokens = int(v.Int())
		case "total_tokens":
			out.TotalTokens = int(v.Int())
		case "prompt_tokens_details":
			if ct := v.Get("cached_tokens"); ct.Exists() && ct.Type != gjson.Null {
				out.PromptTokensDetails = &PromptTokensDetails{CachedTokens: int(ct.Int())}
			}
		case "completion_tokens_details":
			if rt := v.Get("reasoning_tokens"); rt.Exists() && rt.Type != gjson.Null {
				out.CompletionTokensDetails = &CompletionTokensDetails{ReasoningTokens: int(rt.Int())}
			}
		}
		return true
	})
	if out.TotalTokens == 0 {
		out.TotalTokens = out.PromptTokens + out.CompletionTokens
	}
	return out
}
