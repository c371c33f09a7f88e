package anthropicapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conduit-gw/conduit/internal/llm"
)

// TestParseRequestGoldens pins the canonical request of each testdata/requests/<case>.json
// (an Anthropic Messages request) in <case>.golden.json.
func TestParseRequestGoldens(t *testing.T) {
	cases, _ := filepath.Glob("testdata/requests/*.json")
	var n int
	for _, in := range cases {
		if strings.HasSuffix(in, ".golden.json") {
			continue
		}
		n++
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			req, err := ParseRequest(readFile(t, in))
			if err != nil {
				t.Fatal(err)
			}
			if req.Raw != nil {
				t.Error("Raw is set")
			}
			b, err := json.Marshal(req)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata/requests", name+".golden.json"), indent(t, b))
		})
	}
	if n < 6 {
		t.Fatalf("only %d cases", n)
	}
}

// TestParseRequestSemantics states what the goldens must show.
func TestParseRequestSemantics(t *testing.T) {
	for name, want := range map[string]map[string]string{
		"basic": {"model": `"claude-alias"`, "max_tokens": `1024`, "messages.#.role": `["system","user"]`,
			"messages.0.content": `"You are terse."`, "messages.1.content": `"Hello, Claude"`,
			"stop": `["\n\nHuman:"]`, "user": `"u-123"`, "temperature": `0.3`, "top_p": `0.9`, "stream": ``, "stream_options": ``},
		"system_blocks_stream": {"stream": `true`, "stream_options": `{"include_usage":true}`,
			"messages.0.content": `"You are Claude Code.\n\nBe careful."`,
			"messages.#.role":    `["system","user","assistant","user"]`,
			"messages.1.content": `[{"type":"text","text":"First."},{"type":"text","text":"Second."}]`,
			"messages.2.content": `"Answer."`},
		"vision": {"messages.0.content.#.type": `["image_url","image_url","file","text","text"]`,
			"messages.0.content.0.image_url.url":  `"data:image/jpeg;base64,/9j/4AAQSkZJRg=="`,
			"messages.0.content.2.file.file_data": `"data:application/pdf;base64,JVBERi0xLjQK"`,
			"messages.0.content.2.file.filename":  `"report.pdf"`},
		"tools": {"tools.#.function.name": `["get_weather","get_time"]`, "tools.0.type": `"function"`,
			"tools.0.function.parameters.required": `["location"]`,
			"tool_choice":                          `"required"`, "parallel_tool_calls": `false`,
			"messages.#.role":                            `["user","assistant","tool","tool","user"]`,
			"messages.1.content":                         `"Checking."`,
			"messages.1.tool_calls.0":                    `{"id":"toolu_01A09q90qw90lq917835lq9","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}}`,
			"messages.1.tool_calls.1.function.arguments": `"{}"`,
			"messages.2.tool_call_id":                    `"toolu_01A09q90qw90lq917835lq9"`, "messages.2.content": `"15 degrees"`,
			"messages.3.content": `"14:05\nCET"`, "messages.4.content": `"Also, is it going to rain?"`},
		"tool_result_error_image": {"tool_choice": `{"type":"function","function":{"name":"screenshot"}}`,
			"messages.#.role": `["user","assistant","tool","tool","user"]`, "messages.1.content": `null`,
			"messages.2.content": `"Here it is"`, "messages.3.content": `"Error: display not found"`,
			"messages.4.content.0.type": `"image_url"`},
		"tool_choice_none": {"tool_choice": `"none"`},
	} {
		checkPaths(t, name, readFile(t, filepath.Join("testdata/requests", name+".golden.json")), want)
	}
}

func TestParseRequestErrors(t *testing.T) {
	const msgs = `"messages":[{"role":"user","content":"hi"}]`
	for _, tt := range []struct{ body, param, msg string }{
		{`{"model":"m",` + msgs + `}`, "max_tokens", "max_tokens: Field required"},
		{`{"model":"m","max_tokens":0,` + msgs + `}`, "max_tokens", "at least 1"},
		{`{"max_tokens":5,` + msgs + `}`, "model", "model"},
		{`{"model":"m","max_tokens":5,"messages":[]}`, "messages", "at least one"},
		{`{"model":"m","max_tokens":"5",` + msgs + `}`, "max_tokens", "expected int"},
		{`{"model":"m","max_tokens":5,` + msgs, "", "could not parse"},
		{`{"model":"m","max_tokens":5,"messages":[{"role":"tool","content":"x"}]}`, "messages", "messages.0: role must be"},
		{`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":7}]}`, "messages", "string or an array"},
		{`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"search_result"}]}]}`, "messages", `"search_result"`},
		{`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"f"}}]}]}`, "messages", "image source"},
		{`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"url","url":"https://x/a.pdf"}}]}]}`, "messages", "document"},
		{`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","content":"x"}]}]}`, "messages", "tool_use_id"},
		{`{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":[{"type":"tool_use","name":"f","input":{}}]}]}`, "messages", "id and a name"},
		{`{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":[{"type":"server_tool_use","id":"s","name":"web_search"}]}]}`, "messages", "server_tool_use"},
		{`{"model":"m","max_tokens":5,"system":[{"type":"image"}],` + msgs + `}`, "system", "text"},
		{`{"model":"m","max_tokens":5,"system":5,` + msgs + `}`, "system", ""},
		{`{"model":"m","max_tokens":5,"tools":[{"type":"web_search_20250305","name":"web_search"}],` + msgs + `}`, "tools", "web_search_20250305"},
		{`{"model":"m","max_tokens":5,"tools":[{"input_schema":{}}],` + msgs + `}`, "tools", "name is required"},
		{`{"model":"m","max_tokens":5,"tools":[{"name":"t"}],"tool_choice":{"type":"tool"},` + msgs + `}`, "tool_choice", "name"},
		{`{"model":"m","max_tokens":5,"tools":[{"name":"t"}],"tool_choice":{"type":"maybe"},` + msgs + `}`, "tool_choice", ""},
		{`{"model":"m","max_tokens":5,"mcp_servers":[{"type":"url","url":"https://x"}],` + msgs + `}`, "mcp_servers", ""},
	} {
		_, err := ParseRequest([]byte(tt.body))
		var e *llm.Error
		if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Code != llm.CodeInvalidRequest ||
			e.Param != tt.param || !strings.Contains(e.Message, tt.msg) {
			t.Errorf("%s: got %v (param %q), want 400 param %q containing %q", tt.body, err, paramOf(e), tt.param, tt.msg)
		}
	}
}

func paramOf(e *llm.Error) string {
	if e == nil {
		return ""
	}
	return e.Param
}
