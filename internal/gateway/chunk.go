package gateway

import (
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

// chunkInfo is what the relay needs from one stream chunk.
type chunkInfo struct {
	model   gjson.Result // "model", with its offset in the chunk
	usage   gjson.Result
	choices bool // a non-empty "choices" array
}

// inspectChunk reads a chunk's top-level keys in one pass. With withText it also appends the
// streamed content and tool-call arguments to text (counted when the upstream reports no
// usage).
//
// The chunk is read in place, without a string copy: the results point into it and are used
// only until the chunk's buffer is reused (the next stream read); text is copied out.
func inspectChunk(chunk []byte, withText bool, text *strings.Builder) chunkInfo {
	var ci chunkInfo
	if len(chunk) == 0 {
		return ci
	}
	gjson.Parse(unsafe.String(&chunk[0], len(chunk))).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			ci.model = v
		case "usage":
			ci.usage = v
		case "choices":
			if !v.IsArray() { // null or anything else: no choices
				break
			}
			v.ForEach(func(_, c gjson.Result) bool {
				ci.choices = true
				if !withText {
					return false
				}
				text.WriteString(c.Get("delta.content").Str)
				c.Get("delta.tool_calls").ForEach(func(_, t gjson.Result) bool {
					text.WriteString(t.Get("function.name").Str)
					text.WriteString(t.Get("function.arguments").Str)
					return true
				})
				return true
			})
		}
		return true
	})
	return ci
}

// setModelAt makes a chunk name the alias the client asked for; m is the chunk's "model".
func setModelAt(b []byte, m gjson.Result, alias string) []byte {
	if out, ok := llm.SpliceString(b, m, alias); ok {
		return out
	}
	if out, err := sjson.SetBytesOptions(b, "model", alias, inPlace); err == nil {
		return out
	}
	return b
}

var inPlace = &sjson.Options{Optimistic: true, ReplaceInPlace: true}

// setModel makes the response name the alias the client asked for.
func setModel(b []byte, alias string) []byte {
	m := gjson.GetBytes(b, "model")
	if m.Exists() && m.Str == alias {
		return b
	}
	if out, ok := llm.SpliceString(b, m, alias); ok {
		return out
	}
	out, err := sjson.SetBytesOptions(b, "model", alias, inPlace)
	if err != nil {
		return b
	}
	return out
}
