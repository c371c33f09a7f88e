package providers

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

func TestHasTopLevelError(t *testing.T) {
	for in, want := range map[string]bool{
		`{"error":{"message":"x"}}`:                        true,
		`{ "error" : "x" }`:                                true,
		"{\n  \"error\": {\"code\": 500}\n}":               true,
		`{"id":"gen-1","error":{"code":502},"choices":[]}`: true,
		`{"error":null,"choices":[]}`:                      false,
		`{"error":false}`:                                  false,
		`{"choices":[{"delta":{"content":"\"error\""}}]}`:  false,
		`{"choices":[{"error":{"message":"nested"}}]}`:     false,
		`{"id":"c","choices":[]}`:                          false,
	} {
		if got := HasTopLevelError([]byte(in)); got != want {
			t.Errorf("HasTopLevelError(%s) = %v", in, got)
		}
	}
}

func TestToolParameters(t *testing.T) {
	for in, want := range map[string]string{"": "", "null": "", " null ": "", ` {"type":"object"} `: `{"type":"object"}`} {
		got := ToolParameters(llm.Tool{Function: llm.FunctionDef{Parameters: json.RawMessage(in)}})
		if string(got) != want || (want == "" && got != nil) {
			t.Errorf("ToolParameters(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResponseFormat(t *testing.T) {
	tests := []struct {
		in, format, schema, err string
	}{
		{in: ""}, {in: "null"}, {in: `{"type":"text"}`},
		{in: `{"type":"json_object"}`, format: FormatJSONObject},
		{in: ` {"type":"json_schema","json_schema":{"name":"n","schema":{"type":"object"}}} `, format: FormatJSONSchema, schema: "n"},
		{in: `{"type":"xml"}`, err: `response_format type "xml" is not supported by p`},
		{in: `{"type":5}`, err: `response_format type "5" is not supported by p`},
	}
	for _, tt := range tests {
		format, js, err := ResponseFormat("p", json.RawMessage(tt.in))
		if format != tt.format || js.Get("name").Str != tt.schema || (err == nil) != (tt.err == "") ||
			(err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("ResponseFormat(%s) = %q, %s, %v", tt.in, format, js.Raw, err)
		}
	}
}

func TestToolArguments(t *testing.T) {
	for in, want := range map[string]string{
		`{"input":{ "a" : [1, 2] }}`: `{"a":[1,2]}`,
		`{"input":null}`:             "{}",
		`{}`:                         "{}",
		`{"input":"text"}`:           "{}",
	} {
		if got := ToolArguments(gjson.Get(in, "input")); got != want {
			t.Errorf("ToolArguments(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestCheckParams(t *testing.T) {
	tests := []struct{ in, err string }{
		{in: `{"model":"m","messages":[],"temperature":1,"user":"u","logprobs":false,"logit_bias":null}`},
		{in: `{"model":"m","reasoning_effort":"low"}`},
		{in: `{"model":"m","logprobs":true}`, err: "logprobs is not supported by p"},
		{in: `{"model":"m","logit_bias":{"1":2},"audio":{}}`, err: "logit_bias is not supported by p"},
	}
	for _, tt := range tests {
		err := CheckParams("p", gjson.Parse(tt.in), "reasoning_effort")
		if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("CheckParams(%s) = %v, want %q", tt.in, err, tt.err)
		}
	}
}
