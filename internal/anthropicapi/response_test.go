package anthropicapi

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// TestFromChatResponseGoldens pins the Anthropic message of each testdata/responses/<case>.json
// (an OpenAI chat.completion) in <case>.golden.json.
func TestFromChatResponseGoldens(t *testing.T) {
	cases, _ := filepath.Glob("testdata/responses/*.json")
	var n int
	for _, in := range cases {
		if strings.HasSuffix(in, ".golden.json") {
			continue
		}
		n++
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			out, err := FromChatResponse(readFile(t, in), "my-alias")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata/responses", name+".golden.json"), indent(t, out))
		})
	}
	if n < 6 {
		t.Fatalf("only %d cases", n)
	}
}

func TestFromChatResponseSemantics(t *testing.T) {
	for name, want := range map[string]map[string]string{
		"text": {"id": `"msg_B9MBs8CjcvOU2jLn4n570S5qMJKcT"`, "type": `"message"`, "role": `"assistant"`, "model": `"my-alias"`,
			"content": `[{"type":"text","text":"Hello! How can I assist you today?"}]`, "stop_reason": `"end_turn"`,
			"stop_sequence": `null`, "usage": `{"input_tokens":19,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":10}`},
		"tool_calls": {"content.#.type": `["tool_use","tool_use"]`, "content.0.id": `"call_abc123"`,
			"content.0.name": `"get_current_weather"`, "content.0.input": `{"location":"Boston, MA"}`, "content.1.input": `{}`,
			"stop_reason": `"tool_use"`, "usage.input_tokens": `58`, "usage.cache_read_input_tokens": `1024`},
		"tool_calls_finish_stop": {"content.#.type": `["text","tool_use"]`, "content.1.input": `{}`, "stop_reason": `"tool_use"`},
		"length":                 {"stop_reason": `"max_tokens"`, "usage.output_tokens": `16`},
		"refusal":                {"content.0.text": `"I'm sorry, I can't help with that."`, "stop_reason": `"refusal"`, "usage.input_tokens": `0`},
		"from_anthropic_adapter": {"id": `"msg_01Aq9w938a90dw8q"`, "usage.input_tokens": `188107`, "usage.cache_read_input_tokens": `1000`},
	} {
		checkPaths(t, name, readFile(t, filepath.Join("testdata/responses", name+".golden.json")), want)
	}
}

func TestFromChatResponseErrors(t *testing.T) {
	for _, in := range []string{``, `[]`, `{"choices":[]}`, `{"id":"x"}`, `{"choices":[`} {
		if _, err := FromChatResponse([]byte(in), "a"); err == nil || !strings.Contains(err.Error(), "malformed") {
			t.Errorf("%q: err = %v", in, err)
		}
	}
	// A missing id gets a fresh msg_ id.
	out, err := FromChatResponse([]byte(`{"choices":[{"message":{"content":"x"}}]}`), "a")
	if err != nil || !strings.HasPrefix(gjson.GetBytes(out, "id").Str, "msg_") {
		t.Errorf("%s, %v", out, err)
	}
}
