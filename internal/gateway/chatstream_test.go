package gateway

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

func TestInspectChunk(t *testing.T) {
	tests := []struct {
		name, chunk string
		choices     bool
		usage       bool
		model       string
		text        string
	}{
		{"content", `{"id":"c","model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hel"}}]}`,
			true, false, "gpt-4o-mini", "Hel"},
		{"two choices", `{"model":"m","choices":[{"delta":{"content":"a"}},{"delta":{"content":"b"}}]}`,
			true, false, "m", "ab"},
		{"tool call deltas", `{"model":"m","choices":[{"delta":{"tool_calls":[{"index":0,"function":{"name":"get","arguments":"{\"c"}}]}}]}`,
			true, false, "m", `get{"c`},
		{"usage chunk", `{"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}`,
			false, true, "m", ""},
		{"no model, no choices", `{"id":"x","prompt_filter_results":[]}`, false, false, "", ""},
		{"usage null", `{"model":"m","choices":[{"delta":{}}],"usage":null}`, true, false, "m", ""},
		{"choices null", `{"model":"m","choices":null,"usage":{"prompt_tokens":1}}`, false, true, "m", ""},
		{"choices not an array", `{"model":"m","choices":{"a":1}}`, false, false, "m", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var text strings.Builder
			ci := inspectChunk([]byte(tt.chunk))
			appendText([]byte(tt.chunk), &text)
			if ci.choices != tt.choices || ci.usage.IsObject() != tt.usage || ci.model.Str != tt.model ||
				text.String() != tt.text {
				t.Fatalf("choices %v usage %v model %q text %q", ci.choices, ci.usage.IsObject(), ci.model.Str, text.String())
			}
		})
	}
}

func TestSetModelAt(t *testing.T) {
	for _, chunk := range []string{
		`{"id":"c","model":"gpt-4o-mini","choices":[]}`,
		`{"id":"c","choices":[]}`, // no model: added
		`{"model" : "x\"y","choices":[]}`,
	} {
		b := []byte(chunk)
		ci := inspectChunk(b)
		out := setModelAt(b, ci.model, "alias")
		if got := gjson.GetBytes(out, "model").Str; got != "alias" || !gjson.ValidBytes(out) {
			t.Errorf("%s → %s", chunk, out)
		}
		if string(b) != chunk {
			t.Errorf("input changed: %s", b)
		}
	}
}
