package llm

import (
	"encoding/json"
	"errors"
	"unsafe"

	"github.com/tidwall/gjson"
)

// ParseChatRequest reads what routing needs from a client's OpenAI request (model, stream
// options, limits, whether it has images or tools) and validates its shape, without decoding
// the messages: the OpenAI wire family forwards the body as it is. Adapters that translate
// call Decode first. Errors are 400 invalid_request naming the parameter.
func ParseChatRequest(body []byte) (*ChatRequest, error) {
	// One pass reads the body and checks that it is JSON; a JSON error outranks any other.
	at := skipWS(body, 0)
	if at >= len(body) || body[at] != '{' {
		if !ValidJSON(body) {
			return nil, notJSON(body)
		}
		return nil, InvalidRequest("", "the request body must be a JSON object")
	}
	// In place: the values kept (model) point into body, which is Raw and never changed.
	sc := &scan{b: body, check: true}
	r := &ChatRequest{Raw: body}
	var err error
	end := sc.walk(at, func(_ int, key []byte, v int) (int, bool) {
		var end int
		k := unescapedKey(key)
		switch k {
		case "messages":
			end, err = r.scanMessages(sc, v)
			return end, err == nil
		case "tools":
			end, err = r.scanTools(sc, v)
			return end, err == nil
		}
		if end = sc.skip(v); sc.bad {
			return end, false
		}
		switch k {
		case "model":
			m := valueAt(body, v, end)
			if m.Type != gjson.String {
				err = wrongType("model", "a string")
			}
			r.Model = CloneString(m.Str) // outlives the body in log rows: not a view of it
			r.modelDup = r.model.Exists()
			r.model = m
		case "stream":
			err = boolean("stream", valueAt(body, v, end), &r.Stream)
		case "stream_options":
			r.streamOptsKey = true
			o := valueAt(body, v, end)
			if o.Type == gjson.Null {
				break
			}
			if !o.IsObject() {
				err = wrongType("stream_options", "an object")
				break
			}
			var inc bool
			if err = boolean("stream_options.include_usage", o.Get("include_usage"), &inc); err == nil {
				r.StreamOptions = &StreamOptions{IncludeUsage: inc}
			}
		case "n":
			r.N, err = optInt("n", valueAt(body, v, end))
		case "max_tokens":
			r.MaxTokens, err = optInt("max_tokens", valueAt(body, v, end))
		case "max_completion_tokens":
			r.MaxCompletionTokens, err = optInt("max_completion_tokens", valueAt(body, v, end))
		}
		return end, err == nil
	})
	switch {
	case err != nil:
		if !ValidJSON(body) {
			return nil, notJSON(body)
		}
		return nil, err
	case sc.bad || end < 0 || skipWS(body, end) != len(body):
		return nil, notJSON(body)
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

// scanMessages checks the messages array at b[at]: each an object with a known role, its
// content a string, null or an array of typed parts. It returns where the array ends.
func (r *ChatRequest) scanMessages(sc *scan, at int) (int, error) {
	b := sc.b
	if b[at] != '[' {
		return 0, InvalidRequest("messages", "invalid type for 'messages': expected an array of messages")
	}
	n := 0
	var err error
	end := sc.each(at, func(m int) (int, bool) {
		n++
		if b[m] != '{' {
			err = InvalidRequest("messages", "each message must be an object")
			return 0, false
		}
		var role, content span
		end := sc.walk(m, func(_ int, key []byte, v int) (int, bool) {
			end := sc.skip(v)
			role.keep(key, "role", v, end)
			content.keep(key, "content", v, end)
			return end, true
		})
		if sc.bad {
			return 0, false
		}
		switch name, _ := role.str(b); name {
		case RoleSystem, RoleDeveloper, RoleUser, RoleAssistant, RoleTool, "function":
		case "":
			err = InvalidRequest("messages", "each message needs a role")
			return 0, false
		default:
			err = InvalidRequest("messages", "unknown message role "+quote(name))
			return 0, false
		}
		switch {
		case !content.found, b[content.v] == 'n', b[content.v] == '"':
		case b[content.v] == '[':
			err = r.scanParts(sc, content.v)
		default:
			err = InvalidRequest("messages", "content must be a string or an array of content parts")
		}
		return end, err == nil
	})
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, InvalidRequest("messages", "messages must be a non-empty array")
	}
	r.scanned = true
	return end, nil
}

// scanParts checks a message's content parts, the array at b[at]: each an object with a
// type, an image_url part with its URL.
func (r *ChatRequest) scanParts(sc *scan, at int) error {
	b := sc.b
	var err error
	sc.each(at, func(p int) (int, bool) {
		if b[p] != '{' {
			err = InvalidRequest("messages", "each content part needs a type")
			return 0, false
		}
		typ, url, end := typed(sc, p, "image_url", "url")
		if sc.bad {
			return 0, false
		}
		name, ok := typ.str(b)
		switch {
		case !ok:
			err = InvalidRequest("messages", "each content part needs a type")
		case name != PartImageURL:
		case !url.filled(b):
			err = InvalidRequest("messages", "image_url content parts need an image_url.url")
		default:
			r.images = true
		}
		return end, err == nil
	})
	return err
}

// scanTools counts the tools of the array at b[at] (or null), each of type "function" with
// a function.name. It returns where the value ends.
func (r *ChatRequest) scanTools(sc *scan, at int) (int, error) {
	b := sc.b
	switch b[at] {
	case 'n':
		return sc.skip(at), nil
	case '[':
	default:
		return 0, wrongType("tools", "an array")
	}
	var err error
	end := sc.each(at, func(t int) (int, bool) {
		var typ, name span
		end, ok := 0, b[t] == '{'
		if ok {
			if typ, name, end = typed(sc, t, "function", "name"); sc.bad {
				return 0, false
			}
			kind, _ := typ.str(b)
			ok = kind == "function" && name.filled(b)
		}
		if !ok {
			err = InvalidRequest("tools", "each tool needs type \"function\" and a function.name")
			return 0, false
		}
		r.tools++
		return end, true
	})
	return end, err
}

// typed walks the object at o for what a content part and a tool are checked by: its first
// "type", and its outer.inner as gjson reads that path (image_url.url, function.name). end is
// where the object ends.
func typed(sc *scan, o int, outer, inner string) (typ, in span, end int) {
	end = sc.walk(o, func(_ int, key []byte, v int) (int, bool) {
		if keyIs(key, outer) {
			return in.nested(sc, v, inner), true
		}
		end := sc.skip(v)
		typ.keep(key, "type", v, end)
		return end, true
	})
	return typ, in, end
}

// notJSON is the error for a body that is not JSON.
func notJSON(body []byte) error {
	var v any
	err := json.Unmarshal(body, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return InvalidRequest("", "We could not parse the JSON body of your request: "+se.Error())
	}
	return InvalidRequest("", "We could not parse the JSON body of your request.")
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
	b := unsafe.Slice(unsafe.StringData(u.Raw), len(u.Raw)) // read only
	var out Usage
	Members(b, func(_ int, key []byte, v, end int) bool { // one pass over the object
		switch Key(key) {
		case "prompt_tokens":
			out.PromptTokens = int(valueAt(b, v, end).Int())
		case "completion_tokens":
			out.CompletionTokens = int(valueAt(b, v, end).Int())
		case "total_tokens":
			out.TotalTokens = int(valueAt(b, v, end).Int())
		case "prompt_tokens_details":
			if ct, ok := detail(b[v:end], "cached_tokens"); ok {
				out.PromptTokensDetails = &PromptTokensDetails{CachedTokens: ct}
			}
		case "completion_tokens_details":
			if rt, ok := detail(b[v:end], "reasoning_tokens"); ok {
				out.CompletionTokensDetails = &CompletionTokensDetails{ReasoningTokens: rt}
			}
		}
		return true
	})
	if out.TotalTokens == 0 {
		out.TotalTokens = out.PromptTokens + out.CompletionTokens
	}
	return out
}

// detail reads the count name of a usage details object (ok false when it has none, or null).
func detail(obj []byte, name string) (int, bool) {
	v, end, ok := Member(obj, name)
	if !ok || obj[v] == 'n' {
		return 0, false
	}
	return int(valueAt(obj, v, end).Int()), true
}
