package backend

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// agentFake is an upstream for coding agents, speaking OpenAI chat (/v1/chat/completions)
// and Anthropic Messages (/v1/messages), whole and streamed. Offered one of the agents' tools
// (Codex's exec_command, Claude Code's Read), it calls it once; once the tool answered, it
// replies "Done: " and the tool's output; without tools it replies "pong".
type agentFake struct {
	t        *testing.T
	srv      *httptest.Server
	readPath string // the file Claude Code is asked to Read
	recorder
}

func newAgentFake(t *testing.T) *agentFake {
	f := &agentFake{t: t}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *agentFake) serve(w http.ResponseWriter, r *http.Request) {
	in := gjson.ParseBytes(f.record(r))
	switch {
	case strings.HasSuffix(r.URL.Path, "/messages/count_tokens"):
		writeJSON(w, 200, `{"input_tokens":42}`)
	case strings.HasSuffix(r.URL.Path, "/chat/completions"):
		f.chat(w, in)
	case strings.HasSuffix(r.URL.Path, "/messages"):
		f.messages(w, in)
	case strings.HasSuffix(r.URL.Path, "/models"):
		writeJSON(w, 200, `{"object":"list","data":[{"id":"m","object":"model"}]}`)
	default:
		writeJSON(w, 404, `{"error":{"message":"unknown path `+r.URL.Path+`","type":"invalid_request_error"}}`)
	}
}

// decide returns the tool to call and its arguments, or the text to reply.
func (f *agentFake) decide(toolNames []string, toolResult string, answered bool) (tool, args, text string) {
	if answered {
		if len(toolResult) > 200 {
			toolResult = toolResult[:200]
		}
		return "", "", "Done: " + toolResult
	}
	for _, n := range toolNames {
		switch n {
		case "exec_command":
			return n, `{"cmd":"echo conduit-tool-ok"}`, ""
		case "shell":
			return n, `{"command":["echo","conduit-tool-ok"]}`, ""
		case "Read":
			b, _ := json.Marshal(map[string]string{"file_path": f.readPath})
			return n, string(b), ""
		}
	}
	return "", "", "pong"
}

func (f *agentFake) chat(w http.ResponseWriter, in gjson.Result) {
	var names []string
	in.Get("tools.#.function.name").ForEach(func(_, v gjson.Result) bool { names = append(names, v.Str); return true })
	msgs := in.Get("messages").Array()
	last := gjson.Result{}
	if len(msgs) > 0 {
		last = msgs[len(msgs)-1]
	}
	result := last.Get("content").String()
	if last.Get("content").IsArray() {
		result = strings.Join(toStrings(last.Get("content.#.text")), "")
	}
	tool, args, text := f.decide(names, result, last.Get("role").Str == "tool")
	usage := `{"prompt_tokens":50,"completion_tokens":7,"total_tokens":57}`
	if !in.Get("stream").Bool() {
		msg := fmt.Sprintf(`{"role":"assistant","content":%s}`, jsonStr(text))
		finish := "stop"
		if tool != "" {
			msg = fmt.Sprintf(`{"role":"assistant","content":null,"tool_calls":[{"id":"call_agent1","type":"function","function":{"name":%s,"arguments":%s}}]}`,
				jsonStr(tool), jsonStr(args))
			finish = "tool_calls"
		}
		writeJSON(w, 200, fmt.Sprintf(`{"id":"chatcmpl-a","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":%s,"finish_reason":%q}],"usage":%s}`, msg, finish, usage))
		return
	}
	s := newFakeSSE(w)
	chunk := func(delta, finish string) string {
		return fmt.Sprintf(`{"id":"chatcmpl-a","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":%s,"finish_reason":%s}]}`, delta, finish)
	}
	if tool != "" {
		s.event("", chunk(fmt.Sprintf(`{"role":"assistant","tool_calls":[{"index":0,"id":"call_agent1","type":"function","function":{"name":%s,"arguments":""}}]}`, jsonStr(tool)), "null"))
		s.event("", chunk(fmt.Sprintf(`{"tool_calls":[{"index":0,"function":{"arguments":%s}}]}`, jsonStr(args)), "null"))
		s.event("", chunk(`{}`, `"tool_calls"`))
	} else {
		s.event("", chunk(fmt.Sprintf(`{"role":"assistant","content":%s}`, jsonStr(text)), "null"))
		s.event("", chunk(`{}`, `"stop"`))
	}
	s.event("", `{"id":"chatcmpl-a","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":`+usage+`}`)
	s.event("", "[DONE]")
}

func (f *agentFake) messages(w http.ResponseWriter, in gjson.Result) {
	var names []string
	in.Get("tools.#.name").ForEach(func(_, v gjson.Result) bool { names = append(names, v.Str); return true })
	msgs := in.Get("messages").Array()
	var result string
	answered := false
	if len(msgs) > 0 {
		in := msgs[len(msgs)-1]
		in.Get("content").ForEach(func(_, b gjson.Result) bool {
			if b.Get("type").Str == "tool_result" {
				answered = true
				c := b.Get("content")
				if c.IsArray() {
					result += strings.Join(toStrings(c.Get("#.text")), "")
				} else {
					result += c.Str
				}
			}
			return true
		})
	}
	tool, args, text := f.decide(names, result, answered)
	usage := `{"input_tokens":50,"output_tokens":7,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}`
	block := fmt.Sprintf(`{"type":"text","text":%s}`, jsonStr(text))
	stop := "end_turn"
	if tool != "" {
		block = fmt.Sprintf(`{"type":"tool_use","id":"toolu_agent1","name":%s,"input":%s}`, jsonStr(tool), args)
		stop = "tool_use"
	}
	if !in.Get("stream").Bool() {
		writeJSON(w, 200, fmt.Sprintf(`{"id":"msg_a","type":"message","role":"assistant","model":%s,"content":[%s],"stop_reason":%q,"stop_sequence":null,"usage":%s}`,
			jsonStr(in.Get("model").Str), block, stop, usage))
		return
	}
	s := newFakeSSE(w)
	s.event("message_start", fmt.Sprintf(`{"type":"message_start","message":{"id":"msg_a","type":"message","role":"assistant","model":%s,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":50,"output_tokens":1}}}`, jsonStr(in.Get("model").Str)))
	if tool != "" {
		s.event("content_block_start", fmt.Sprintf(`{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_agent1","name":%s,"input":{}}}`, jsonStr(tool)))
		s.event("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":%s}}`, jsonStr(args)))
	} else {
		s.event("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
		s.event("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":%s}}`, jsonStr(text)))
	}
	s.event("content_block_stop", `{"type":"content_block_stop","index":0}`)
	s.event("message_delta", fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":%q,"stop_sequence":null},"usage":{"output_tokens":7}}`, stop))
	s.event("message_stop", `{"type":"message_stop"}`)
}

func toStrings(r gjson.Result) []string {
	var out []string
	r.ForEach(func(_, v gjson.Result) bool { out = append(out, v.Str); return true })
	return out
}
