package responsesapi

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conduit-gw/conduit/internal/llm"
)

// TestToChatGoldens translates testdata/requests/<case>.json into the canonical chat request
// pinned in <case>.golden.json; what the request needs of a deployment, read without
// translating it (for a native one), is what the translation holds.
func TestToChatGoldens(t *testing.T) {
	files, _ := filepath.Glob("testdata/requests/*.json")
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".golden.json") {
			continue
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			req, err := ParseRequest(readFile(t, f))
			if err != nil {
				t.Fatal(err)
			}
			chat, err := req.ToChat(nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := chat.Decode(); err != nil {
				t.Fatalf("the canonical request does not decode: %v", err)
			}
			if vision, tools := req.Needs(nil); vision != chat.HasImages() || tools != (chat.ToolCount() > 0) {
				t.Errorf("Needs vision=%v tools=%v; translation images=%v tools=%d", vision, tools, chat.HasImages(), chat.ToolCount())
			}
			golden(t, strings.TrimSuffix(f, ".json")+".golden.json", indent(t, chat.Raw))
		})
	}
	if n < 4 {
		t.Fatalf("only %d cases", n)
	}
}

func TestToChatSemantics(t *testing.T) {
	req, err := ParseRequest(readFile(t, "testdata/requests/tool_round_trip.json"))
	if err != nil {
		t.Fatal(err)
	}
	chat, err := req.ToChat(nil)
	if err != nil {
		t.Fatal(err)
	}
	checkPaths(t, "tool_round_trip", chat.Raw, map[string]string{
		"messages.0.role":                            `"system"`,
		"messages.2.tool_calls.#":                    `2`,
		"messages.2.tool_calls.0.id":                 `"call_1"`,
		"messages.2.tool_calls.0.function.arguments": `"{\"city\":\"Paris\"}"`,
		"messages.2.content":                         `null`,
		"messages.3.role":                            `"tool"`,
		"messages.3.tool_call_id":                    `"call_1"`,
		"messages.4.content":                         `"12:00"`,
		"reasoning_effort":                           `"low"`,
		"stream_options.include_usage":               `true`,
		"tool_choice.function.name":                  `"get_weather"`,
		"parallel_tool_calls":                        `false`,
		"client_metadata":                            ``,
	})
	if !chat.Stream || chat.ToolCount() != 2 {
		t.Errorf("stream %v tools %d", chat.Stream, chat.ToolCount())
	}

	img, _ := ParseRequest(readFile(t, "testdata/requests/images_files.json"))
	chat, err = img.ToChat(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !chat.HasImages() {
		t.Error("images not seen by routing")
	}

	// History from an earlier turn comes before this turn's input.
	next, _ := ParseRequest([]byte(`{"model":"m","input":"and now?","previous_response_id":"resp_1","instructions":"sys"}`))
	chat, err = next.ToChat(append(req.Items[:2:2], []byte(`{"type":"message","id":"msg_9","status":"completed","role":"assistant","content":[{"type":"output_text","text":"earlier","annotations":[]}]}`)))
	if err != nil {
		t.Fatal(err)
	}
	checkPaths(t, "history", chat.Raw, map[string]string{
		"messages.#.role":    `["system","system","user","assistant","user"]`,
		"messages.0.content": `"sys"`,
		"messages.3.content": `"earlier"`,
		"messages.4.content": `"and now?"`,
	})
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, body, param, msg string }{
		{"not json", `{`, "", "parse"},
		{"array body", `[]`, "", "object"},
		{"no model", `{"input":"x"}`, "model", "model"},
		{"no input", `{"model":"m"}`, "input", "input"},
		{"input number", `{"model":"m","input":5}`, "input", "input"},
		{"item not object", `{"model":"m","input":["x"]}`, "input", "input[0]"},
		{"bad tokens", `{"model":"m","input":"x","max_output_tokens":0}`, "max_output_tokens", "at least 1"},
		{"bad truncation", `{"model":"m","input":"x","truncation":"sometimes"}`, "truncation", "truncation"},
		{"instructions type", `{"model":"m","input":"x","instructions":[1]}`, "instructions", "string"},
		{"wrong type", `{"model":"m","input":"x","temperature":"hot"}`, "temperature", "temperature"},
	} {
		_, err := ParseRequest([]byte(tc.body))
		var e *llm.Error
		if !errors.As(err, &e) || e.Status != 400 || e.Param != tc.param || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%s: %v (param %q)", tc.name, err, paramOf(err))
		}
	}
}

func TestToChatRefusals(t *testing.T) {
	for _, tc := range []struct{ name, body, param, msg string }{
		{"web search", `{"model":"m","input":"x","tools":[{"type":"web_search"},{"type":"function","name":"f"},{"type":"file_search"}]}`,
			"tools", `"web_search", "file_search"`},
		{"namespace of built-ins", `{"model":"m","input":"x","tools":[{"type":"namespace","name":"n","tools":[{"type":"web_search"}]}]}`, "tools", `"web_search"`},
		{"hosted tool choice", `{"model":"m","input":"x","tool_choice":{"type":"web_search"}}`, "tool_choice", "web_search"},
		{"unknown field", `{"model":"m","input":"x","conversation":"conv_1"}`, "conversation", "conversation"},
		{"background", `{"model":"m","input":"x","background":true}`, "background", "background"},
		{"item ref", `{"model":"m","input":[{"type":"item_reference","id":"x"}]}`, "input", `input[0]: items of type "item_reference"`},
		{"image by file id", `{"model":"m","input":[{"role":"user","content":[{"type":"input_image","file_id":"f"}]}]}`, "input", "file_id"},
		{"file url", `{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_url":"https://x"}]}]}`, "input", "file_url"},
		{"image in system", `{"model":"m","input":[{"role":"system","content":[{"type":"input_image","image_url":"https://x"}]}]}`, "input", "text only"},
		{"bad role", `{"model":"m","input":[{"role":"tool","content":"x"}]}`, "input", "role"},
		{"call without id", `{"model":"m","input":[{"type":"function_call","name":"f"}]}`, "input", "call_id"},
		{"output without id", `{"model":"m","input":[{"type":"function_call_output","output":"x"}]}`, "input", "call_id"},
		{"schema without name", `{"model":"m","input":"x","text":{"format":{"type":"json_schema","schema":{}}}}`, "text.format", "name"},
		{"bad effort", `{"model":"m","input":"x","reasoning":{"effort":"max"}}`, "reasoning.effort", "effort"},
		{"bad format", `{"model":"m","input":"x","text":{"format":{"type":"yaml"}}}`, "text.format", "format"},
	} {
		req, err := ParseRequest([]byte(tc.body))
		if err == nil {
			_, err = req.ToChat(nil)
		}
		var e *llm.Error
		if !errors.As(err, &e) || e.Status != 400 || e.Param != tc.param || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%s: %v (param %q)", tc.name, err, paramOf(err))
		}
	}
}

func paramOf(err error) string {
	var e *llm.Error
	if errors.As(err, &e) {
		return e.Param
	}
	return ""
}

// FuzzParseRequest feeds arbitrary bodies: ParseRequest must read what encoding/json decodes,
// ParseRequest and ToChat must not panic, refuse with 400s only, and whatever they accept
// must be a chat request that decodes.
//
//	go test -fuzz=FuzzParseRequest ./internal/responsesapi/
func FuzzParseRequest(f *testing.F) {
	files, _ := filepath.Glob("testdata/requests/*.json")
	for _, p := range files {
		if !strings.HasSuffix(p, ".golden.json") {
			f.Add(readFile(f, p))
		}
	}
	f.Add([]byte(`{"model":"m","input":[{"type":"function_call","call_id":"c","name":"f"},{"role":"assistant","content":[{"type":"refusal","refusal":"no"}]}]}`))
	f.Add([]byte(`{"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":5}]}],"tools":[{"type":"function","name":"f","parameters":null}]}`))
	f.Add([]byte(`{"Model":"m","input":"x","store":null,"top_p":"1","max_output_tokens":1.5}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		agreeWithEncodingJSON(t, body)
		req, err := ParseRequest(body)
		if err == nil {
			var chat *llm.ChatRequest
			if chat, err = req.ToChat(req.Items); err == nil {
				if derr := chat.Decode(); derr != nil {
					t.Fatalf("accepted %s but the chat request does not decode: %v\n%s", body, derr, chat.Raw)
				}
				_ = req.Skeleton("resp_x", "alias", 1)
				return
			}
		}
		if e := llm.AsError(err); e.Status != 400 {
			t.Fatalf("%s: %v", body, err)
		}
	})
}

// TestNamespaceTools: a namespace's functions become chat functions named namespace__name,
// and calls of them come back naming the namespace, whole and streamed.
func TestNamespaceTools(t *testing.T) {
	req, err := ParseRequest([]byte(`{"model":"m","input":[
		{"type":"function_call","call_id":"c0","name":"spawn","namespace":"agents","arguments":"{}"},
		{"type":"function_call_output","call_id":"c0","output":"ok"}],
		"tools":[{"type":"function","name":"shell"},{"type":"namespace","name":"agents","description":"Sub-agents",
		"tools":[{"type":"function","name":"spawn","parameters":{"type":"object"}},{"type":"function","name":"close"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	chat, err := req.ToChat(nil)
	if err != nil {
		t.Fatal(err)
	}
	checkPaths(t, "chat", chat.Raw, map[string]string{
		"tools.#.function.name":                 `["shell","agents__spawn","agents__close"]`,
		"messages.0.tool_calls.0.function.name": `"agents__spawn"`,
	})
	resp := req.Skeleton("resp_1", "m", 1)
	if err := FromChatResponse([]byte(`{"choices":[{"message":{"tool_calls":[{"id":"c1","function":{"name":"agents__close","arguments":"{}"}},
		{"id":"c2","function":{"name":"other__x","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}`), resp); err != nil {
		t.Fatal(err)
	}
	b, _ := resp.Marshal()
	checkPaths(t, "response", b, map[string]string{
		"output.#.name": `["close","other__x"]`, "output.0.namespace": `"agents"`, "output.1.namespace": ``,
	})
	tr := NewStreamTranslator(req.Skeleton("resp_2", "m", 1))
	ev, err := tr.Chunk([]byte(`{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c3","function":{"name":"agents__spawn","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ev = append(ev, tr.End()...)
	checkPaths(t, "stream", ev[len(ev)-1].Data, map[string]string{
		"response.output.0.name": `"spawn"`, "response.output.0.namespace": `"agents"`,
	})
}

func TestNeeds(t *testing.T) {
	image := `{"type":"message","role":"user","content":[{"type":"input_text","text":"what is this"},` +
		`{"type":"input_image","image_url":"https://example.com/a.png"}]}`
	for _, tc := range []struct {
		name, body, history string
		vision, tools       bool
	}{
		{"text", `{"model":"m","input":"hi"}`, "", false, false},
		{"the word in text", `{"model":"m","input":"an input_image part"}`, "", false, false},
		{"image", `{"model":"m","input":[` + image + `]}`, "", true, false},
		{"image in history", `{"model":"m","input":"and this?","previous_response_id":"resp_1"}`, image, true, false},
		{"function", `{"model":"m","input":"hi","tools":[{"type":"function","name":"f"}]}`, "", false, true},
		{"namespace", `{"model":"m","input":"hi","tools":[{"type":"namespace","name":"ns","tools":[{"type":"function","name":"f"}]}]}`, "", false, true},
		{"built-in only", `{"model":"m","input":"hi","tools":[{"type":"web_search"}]}`, "", false, false},
		{"built-in then function", `{"model":"m","input":"hi","tools":[{"type":"web_search"},{"type":"function","name":"f"}]}`, "", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := ParseRequest([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			var history []json.RawMessage
			if tc.history != "" {
				history = []json.RawMessage{json.RawMessage(tc.history)}
			}
			if vision, tools := req.Needs(history); vision != tc.vision || tools != tc.tools {
				t.Errorf("Needs = vision %v, tools %v; want %v, %v", vision, tools, tc.vision, tc.tools)
			}
		})
	}
}

// TestInline: a continuation for an upstream that does not know the previous response carries
// the whole conversation, without previous_response_id and without the ids Conduit minted.
func TestInline(t *testing.T) {
	body := `{"model":"gpt","previous_response_id":"resp_abcdefghijklmnop","input":[{"type":"function_call_output","call_id":"call_1","output":"18C"}],"store":true}`
	req, err := ParseRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	history := []json.RawMessage{
		json.RawMessage(`{"id":"msg_abcdefghijklmnop","type":"message","role":"user","content":"Weather?"}`),
		json.RawMessage(`{"id":"rs_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b","type":"reasoning","summary":[]}`),
		json.RawMessage(`{"id":"fc_qrstuvwxyz234567","type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{}"}`),
	}
	got, err := req.Inline(history)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"gpt","input":[{"type":"message","role":"user","content":"Weather?"},` +
		`{"id":"rs_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b","type":"reasoning","summary":[]},` +
		`{"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{}"},` +
		`{"type":"function_call_output","call_id":"call_1","output":"18C"}],"store":true}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if string(req.Raw) != body {
		t.Fatalf("the client's body changed: %s", req.Raw)
	}
}
