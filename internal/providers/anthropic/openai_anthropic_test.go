package anthropic

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conduit-gw/conduit/internal/providers/providertest"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

// answer is a minimal successful upstream for messages requests, streamed or not.
func answer(w http.ResponseWriter, r *http.Request) {
	if gjson.GetBytes(mustRead(r), "stream").Bool() {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"m\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\n" +
			"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"ok\"}}\n\n" +
			"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}`))
}

func mustRead(r *http.Request) []byte {
	var b bytes.Buffer
	_, _ = b.ReadFrom(r.Body)
	return b.Bytes()
}

// renderRequest pins what the upstream received: method, URL, the headers that matter, body.
func renderRequest(t testing.TB, c providertest.Captured) []byte {
	t.Helper()
	h := map[string]string{}
	for _, k := range []string{"Accept", "Anthropic-Version", "Content-Type", "X-Api-Key", "Authorization"} {
		if v := c.Header.Get(k); v != "" {
			h[strings.ToLower(k)] = v
		}
	}
	hb, _ := json.Marshal(h)
	out := []byte(`{"method":` + quote(c.Method) + `,"url":` + quote(c.URL) + `,"headers":` + string(hb) + `,"body":`)
	out = append(out, c.Body...)
	out = append(out, '}')
	return providertest.Indent(t, out)
}

// TestRequestGoldens sends each testdata/requests/<case>.json through the adapter and pins
// what the upstream receives in <case>.golden.json.
func TestRequestGoldens(t *testing.T) {
	cases, _ := filepath.Glob("testdata/requests/*.json")
	var n int
	for _, in := range cases {
		if strings.HasSuffix(in, ".golden.json") {
			continue
		}
		n++
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			body := bytes.TrimRight(providertest.ReadFile(t, in), "\n")
			req := providertest.ChatRequest(t, body)
			up := providertest.NewUpstream(t, answer)
			c := newClient(t, up.URL)
			ctx := context.Background()
			if req.Stream {
				st, err := c.ChatStream(ctx, req, "claude-sonnet-4-5")
				if err != nil {
					t.Fatal(err)
				}
				if chunk, err := st.Next(); err != nil || !gjson.ValidBytes(chunk) {
					t.Fatalf("first chunk %s, %v", chunk, err)
				}
				_ = st.Close()
			} else if _, err := c.Chat(ctx, req, "claude-sonnet-4-5"); err != nil {
				t.Fatal(err)
			}
			got := up.Last(t)
			if !bytes.Equal(req.Raw, body) {
				t.Error("the adapter modified req.Raw")
			}
			providertest.Golden(t, filepath.Join("testdata/requests", name+".golden.json"), renderRequest(t, got), *update)
		})
	}
	if n < 8 {
		t.Fatalf("only %d request cases", n)
	}
}

// TestRequestSemantics states what the request goldens must show, so that -update cannot
// bless a regression unnoticed.
func TestRequestSemantics(t *testing.T) {
	want := map[string]map[string]string{ // case → gjson path → raw JSON value
		"basic": {
			"method": `"POST"`, "url": `"/v1/messages"`, "headers.x-api-key": `"sk-ant-test"`,
			"headers.anthropic-version": `"2023-06-01"`, "headers.content-type": `"application/json"`,
			"body.model": `"claude-sonnet-4-5"`, "body.max_tokens": `4096`, "body.system.0.text": `"You are terse."`,
			"body.messages.#": `1`, "body.stop_sequences": `["\n\nEND"]`, "body.metadata.user_id": `"user-42"`,
			"body.temperature": `0.2`, "body.top_p": `0.9`, "body.stream": ``,
		},
		"merge_roles": {
			"body.system.#": `3`, "body.system.2.text": `"Late rule."`, "body.max_tokens": `300`,
			"body.messages.#.role":           `["user","assistant","user"]`,
			"body.messages.0.content.#.text": `["First question.","Second part."]`,
			"body.messages.1.content.#.text": `["An answer.","More answer."]`,
		},
		"vision": {
			"body.max_tokens": `512`, "body.messages.0.content.#.type": `["text","image","image","document"]`,
			"body.messages.0.content.1.source.type": `"base64"`, "body.messages.0.content.1.source.media_type": `"image/png"`,
			"body.messages.0.content.2.source.type": `"url"`, "body.messages.0.content.3.source.media_type": `"application/pdf"`,
		},
		"tools_round_trip": {
			"body.tools.#.name": `["get_weather","get_time"]`, "body.tools.1.input_schema": `{"type":"object","properties":{}}`,
			"body.tool_choice":                `{"type":"any","disable_parallel_tool_use":true}`,
			"body.messages.#.role":            `["user","assistant","user"]`,
			"body.messages.1.content.#.type":  `["tool_use","tool_use"]`,
			"body.messages.1.content.0.input": `{"location": "Paris"}`, "body.messages.1.content.1.input": `{}`,
			"body.messages.1.content.1.id":          `"functions_get_time_1"`,
			"body.messages.2.content.#.type":        `["tool_result","tool_result","text"]`,
			"body.messages.2.content.1.tool_use_id": `"functions_get_time_1"`, "body.messages.2.content.1.content": `"14:05 CET"`,
		},
		"tool_choice_function": {
			"headers.accept": `"text/event-stream"`, "body.stream": `true`,
			"body.tool_choice": `{"type":"tool","name":"lookup"}`, "body.tools.0.input_schema": `{"type":"object","properties":{}}`,
		},
		"tool_choice_none_top_k": {"body.tool_choice": `{"type":"none"}`, "body.top_k": `40`},
		"tool_result_image": {
			"body.messages.2.content.0.content.#.type": `["text","image"]`,
			"body.messages.1.content.#.type":           `["text","tool_use"]`,
		},
		"json_schema": {
			"body.tools.0.name": `"city_info"`, "body.tool_choice": `{"type":"tool","name":"city_info"}`,
			"body.tools.0.input_schema.required": `["city","population"]`,
		},
		"json_object": {
			"body.tools.0.name": `"json_response"`, "body.tool_choice.name": `"json_response"`,
			"body.system.0.text": `"Answer in JSON."`, "body.stream": `true`,
		},
	}
	for name, paths := range want {
		g := providertest.ReadFile(t, filepath.Join("testdata/requests", name+".golden.json"))
		for p, w := range paths {
			r := gjson.GetBytes(g, p)
			var got bytes.Buffer
			if r.Raw != "" {
				_ = json.Compact(&got, []byte(r.Raw))
			}
			var wc bytes.Buffer
			if w != "" {
				_ = json.Compact(&wc, []byte(w))
			}
			if got.String() != wc.String() {
				t.Errorf("%s: %s = %s, want %s", name, p, got.String(), wc.String())
			}
		}
	}
}

// TestUnsupported checks that what Anthropic cannot honour is refused with a 400 naming the
// parameter, before any upstream call.
func TestUnsupported(t *testing.T) {
	const msgs = `"messages":[{"role":"user","content":"hi"}]`
	for _, tt := range []struct{ body, param, msg string }{
		{`{"model":"m","n":2,` + msgs + `}`, "n", "n greater than 1 is not supported by anthropic"},
		{`{"model":"m","seed":7,` + msgs + `}`, "seed", ""},
		{`{"model":"m","frequency_penalty":0.5,` + msgs + `}`, "frequency_penalty", ""},
		{`{"model":"m","presence_penalty":-1,` + msgs + `}`, "presence_penalty", ""},
		{`{"model":"m","logprobs":true,` + msgs + `}`, "logprobs", ""},
		{`{"model":"m","top_logprobs":3,` + msgs + `}`, "top_logprobs", ""},
		{`{"model":"m","logit_bias":{"50256":-100},` + msgs + `}`, "logit_bias", ""},
		{`{"model":"m","functions":[{"name":"f"}],` + msgs + `}`, "functions", "use tools"},
		{`{"model":"m","reasoning_effort":"high",` + msgs + `}`, "reasoning_effort", ""},
		{`{"model":"m","modalities":["text","audio"],` + msgs + `}`, "modalities", ""},
		{`{"model":"m","temperature":1.5,` + msgs + `}`, "temperature", "between 0 and 1"},
		{`{"model":"m","max_tokens":0,` + msgs + `}`, "max_tokens", ""},
		{`{"model":"m","tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"sometimes",` + msgs + `}`, "tool_choice", ""},
		{`{"model":"m","tools":[{"type":"function","function":{"name":"f"}}],"response_format":{"type":"json_object"},` + msgs + `}`, "response_format", "together with tools"},
		{`{"model":"m","response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"array"}}},` + msgs + `}`, "response_format", "JSON object"},
		{`{"model":"m","response_format":{"type":"grammar"},` + msgs + `}`, "response_format", ""},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA==","format":"wav"}}]}]}`, "messages", "messages[0]: content parts of type \"input_audio\""},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]}`, "messages", "https or data:"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,abc"}}]}]}`, "messages", "base64"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/bmp;base64,Qk0="}}]}]}`, "messages", "image/bmp"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-1"}}]}]}`, "messages", "file_id"},
		{`{"model":"m","messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]},{"role":"user","content":"hi"}]}`, "messages", "only hold text"},
		{`{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"[1,2]"}}]}]}`, "messages", "messages[1]: tool_calls[0].function.arguments must be a JSON object"},
		{`{"model":"m","messages":[{"role":"tool","content":"x"}]}`, "messages", "tool_call_id"},
		{`{"model":"m","messages":[{"role":"function","name":"f","content":"x"}]}`, "messages", "role \"function\""},
		{`{"model":"m","messages":[{"role":"system","content":"only a system prompt"}]}`, "messages", "at least one user or assistant"},
	} {
		req := providertest.ChatRequest(t, []byte(tt.body))
		c := newClient(t, "http://127.0.0.1:1") // never reached
		for _, stream := range []bool{false, true} {
			var err error
			if stream {
				_, err = c.ChatStream(context.Background(), req, "claude")
			} else {
				_, err = c.Chat(context.Background(), req, "claude")
			}
			e := providertest.AsLLMError(t, err)
			if e.Status != http.StatusBadRequest || e.Code != llm.CodeInvalidRequest || e.Param != tt.param ||
				!strings.Contains(e.Message, tt.msg) || e.Retryable {
				t.Errorf("%s: got %s param=%q, want 400 param=%q containing %q", tt.body, providertest.Describe(err), e.Param, tt.param, tt.msg)
			}
		}
	}
}

// TestTranslateIdempotent checks that a request translates to the same bytes every time, so
// the router can replay it on another deployment.
func TestTranslateIdempotent(t *testing.T) {
	req := providertest.ChatRequest(t, providertest.ReadFile(t, "testdata/requests/tools_round_trip.json"))
	a, err := translateRequest(req, "m", false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := translateRequest(req, "m", false)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.body, b.body) {
		t.Errorf("translations differ:\n%s\n%s", a.body, b.body)
	}
	// A request built in code (Raw nil) translates too.
	req.Raw = nil
	if _, err := translateRequest(req, "m", true); err != nil {
		t.Fatal(err)
	}
}
