package providers

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

// RandomID returns 24 random hex digits, for answers whose upstream sends no id.
func RandomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// HasTopLevelError reports whether a JSON object has a non-null top-level "error": OpenAI,
// Gemini and most servers send {"error": {...}}, OpenRouter adds "error" to a chunk.
func HasTopLevelError(data []byte) bool {
	if !bytes.Contains(data, []byte(`"error"`)) {
		return false // the common case, without parsing
	}
	r := gjson.GetBytes(data, "error")
	return r.Exists() && r.Type != gjson.Null && r.Type != gjson.False
}

// PlainText is the text of a message that is not a user message: its string, or its text
// and refusal parts joined. Any other part (an image in an assistant message) is refused;
// i is the message's index, for the error.
func PlainText(c llm.Content, i int) (string, error) {
	if !c.IsParts {
		return c.Text, nil
	}
	var b strings.Builder
	for _, p := range c.Parts {
		switch p.Type {
		case llm.PartText:
			b.WriteString(p.Text)
		case "refusal":
			b.WriteString(gjson.GetBytes(p.Extra, "refusal").Str)
		default:
			return "", llm.InvalidRequest("messages", fmt.Sprintf("messages[%d]: %s content parts are only supported in user messages", i, p.Type))
		}
	}
	return b.String(), nil
}

// Tool choice modes ParseToolChoice returns.
const (
	ToolChoiceAuto     = "auto"
	ToolChoiceNone     = "none"
	ToolChoiceRequired = "required"
	ToolChoiceFunction = "function" // the named function must be called
)

// ParseToolChoice reads OpenAI's tool_choice: "auto", "none", "required" or
// {"type":"function","function":{"name":...}}. mode is "" when the field is absent or null;
// name is set for ToolChoiceFunction. Other forms are refused as not supported by provider.
func ParseToolChoice(provider string, raw json.RawMessage) (mode, name string, err error) {
	raw = bytes.TrimSpace(raw)
	r := gjson.ParseBytes(raw)
	switch {
	case len(raw) == 0 || r.Type == gjson.Null:
		return "", "", nil
	case r.Type == gjson.String:
		switch r.Str {
		case ToolChoiceAuto, ToolChoiceNone, ToolChoiceRequired:
			return r.Str, "", nil
		}
	case r.IsObject() && r.Get("type").Str == "function":
		if n := r.Get("function.name").Str; n != "" {
			return ToolChoiceFunction, n, nil
		}
	case r.IsObject():
		return "", "", llm.InvalidRequest("tool_choice", fmt.Sprintf("tool_choice type %q is not supported by %s", r.Get("type").String(), provider))
	}
	return "", "", llm.InvalidRequest("tool_choice", `tool_choice must be "auto", "none", "required" or {"type":"function","function":{"name":...}}`)
}

// ToolParameters is a function tool's parameters schema, trimmed: nil when the tool gives
// none (absent or null).
func ToolParameters(t llm.Tool) json.RawMessage {
	p := bytes.TrimSpace(t.Function.Parameters)
	if len(p) == 0 || string(p) == "null" {
		return nil
	}
	return p
}

// Response formats ResponseFormat returns (besides "" for plain text).
const (
	FormatJSONObject = "json_object"
	FormatJSONSchema = "json_schema"
)

// ResponseFormat reads OpenAI's response_format: "" when it is absent, null or "text",
// FormatJSONObject, or FormatJSONSchema with its json_schema object ({"name", "schema", ...}).
// Another type is refused as not supported by provider.
func ResponseFormat(provider string, raw json.RawMessage) (format string, jsonSchema gjson.Result, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", jsonSchema, nil
	}
	rf := gjson.ParseBytes(raw)
	switch t := rf.Get("type").Str; t {
	case "text":
		return "", jsonSchema, nil
	case FormatJSONObject:
		return t, jsonSchema, nil
	case FormatJSONSchema:
		return t, rf.Get("json_schema"), nil
	}
	return "", jsonSchema, llm.InvalidRequest("response_format", fmt.Sprintf("response_format type %q is not supported by %s", rf.Get("type").String(), provider))
}

// ToolArguments is a tool call's input object as OpenAI's arguments string: compact JSON,
// "{}" when the call gives no object.
func ToolArguments(v gjson.Result) string {
	if !v.IsObject() {
		return "{}"
	}
	var b bytes.Buffer
	if json.Compact(&b, []byte(v.Raw)) != nil {
		return "{}"
	}
	return b.String()
}

// CheckParams refuses the chat request field provider cannot honour instead of dropping it:
// the first top-level field of raw that is set (not null; logprobs not false) and is none
// of those every translating adapter maps (model, messages, sampling, tools,
// response_format…), OpenAI's platform bookkeeping, which never changes the answer (user,
// metadata, store…), or also.
func CheckParams(provider string, raw gjson.Result, also ...string) error {
	var err error
	raw.ForEach(func(k, v gjson.Result) bool {
		switch {
		case v.Type == gjson.Null, k.Str == "logprobs" && v.Type == gjson.False, translatedParam(k.Str), slices.Contains(also, k.Str):
			return true
		}
		err = llm.InvalidRequest(k.Str, k.Str+" is not supported by "+provider)
		return false
	})
	return err
}

// translatedParam reports whether a top-level chat request field is translated by every
// translating adapter or deliberately ignored.
func translatedParam(key string) bool {
	switch key {
	case "model", "messages", "stream", "stream_options", "tools", "tool_choice", "parallel_tool_calls",
		"response_format", "stop", "seed", "n", "max_tokens", "max_completion_tokens", "temperature",
		"top_p", "top_k", "frequency_penalty", "presence_penalty":
		return true
	case "user", "metadata", "store", "service_tier", "prompt_cache_key", "safety_identifier":
		// Bookkeeping for OpenAI's platform: no effect on the generated answer.
		return true
	}
	return false
}
