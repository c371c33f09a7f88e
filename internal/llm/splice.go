package llm

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// SpliceString returns a copy of b with the value v (found by gjson in b, so v.Index is its
// offset) replaced by s as a JSON string. ok is false when v has no known position in b.
// It is the cheap form of sjson.SetBytes for a key already found: one copy, no re-scan.
func SpliceString(b []byte, v gjson.Result, s string) (out []byte, ok bool) {
	return AppendSplice(nil, b, v, s)
}

// AppendSplice is SpliceString appending to dst (which must not overlap b): a caller that
// rewrites one chunk after another reuses one buffer.
func AppendSplice(dst, b []byte, v gjson.Result, s string) (out []byte, ok bool) {
	at, end := v.Index, v.Index+len(v.Raw)
	if at <= 0 || end > len(b) || string(b[at:end]) != v.Raw {
		return dst, false
	}
	out = slices.Grow(dst, len(b)-len(v.Raw)+len(s)+2)
	out = append(out, b[:at]...)
	out = AppendJSONString(out, s)
	return append(out, b[end:]...), true
}

// AppendJSONString appends s as a JSON string.
func AppendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			q, _ := json.Marshal(s) // escapes, and replaces invalid UTF-8, as encoding/json does
			return append(dst, q...)
		}
	}
	dst = slices.Grow(dst, len(s)+2)
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// RawWithModel returns a copy of the client's body with "model" set to model, without
// re-parsing it. ok is false when the request was built in code or its body names the model
// more than once; the caller then edits Raw with a JSON library.
func (r *ChatRequest) RawWithModel(model string) (body []byte, ok bool) {
	if r.Raw == nil || r.modelDup {
		return nil, false
	}
	return SpliceString(r.Raw, r.model, model)
}

var usageOption = []byte(`"stream_options":{"include_usage":true},`)

// WithUsageOption returns body (the client's body, or RawWithModel's copy of it) with
// "stream_options":{"include_usage":true} added as its first key, without re-parsing it. ok
// is false when the client's body has a stream_options key already (to be edited with a
// JSON library) or was built in code.
func (r *ChatRequest) WithUsageOption(body []byte) (out []byte, ok bool) {
	at := r.usageAt(body)
	if at < 0 {
		return nil, false
	}
	out = make([]byte, 0, len(body)+len(usageOption))
	out = append(out, body[:at]...)
	out = append(out, usageOption...)
	return append(out, body[at:]...), true
}

// RawWithModelAndUsage is WithUsageOption(RawWithModel(model)) in one copy of the body.
func (r *ChatRequest) RawWithModelAndUsage(model string) (body []byte, ok bool) {
	if r.Raw == nil || r.modelDup {
		return nil, false
	}
	at := r.usageAt(r.Raw)
	if at < 0 || r.model.Index < at {
		return nil, false
	}
	m := r.model
	m.Index -= at // its offset in what follows the usage option
	out := make([]byte, 0, len(r.Raw)+len(usageOption)+len(model)+2)
	out = append(out, r.Raw[:at]...)
	out = append(out, usageOption...)
	return AppendSplice(out, r.Raw[at:], m, model)
}

// usageAt is where the usage option goes in body: just after its opening brace; -1 when the
// client's body has a stream_options key already or was built in code.
func (r *ChatRequest) usageAt(body []byte) int {
	if !r.scanned || r.streamOptsKey || r.Model == "" {
		return -1 // without a model key the object could be empty: no comma then
	}
	i := 0
	for i < len(body) && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r') {
		i++
	}
	if i == len(body) || body[i] != '{' {
		return -1
	}
	return i + 1
}

// WithModel returns a copy of body (a client's JSON object, forwarded as it is) with "model"
// set to model: spliced in where the body names one, added where it names none. The error is
// a 400 naming model.
func WithModel(body []byte, model string) ([]byte, error) {
	if m := InPlace(body).Get("model"); m.Exists() {
		if out, ok := SpliceString(body, m, model); ok {
			return out, nil
		}
	}
	out, err := sjson.SetBytes(bytes.Clone(body), "model", model)
	if err != nil {
		return nil, InvalidRequest("model", "cannot set model: "+err.Error())
	}
	return out, nil
}
