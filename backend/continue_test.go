package backend

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/conduit-gw/conduit/internal/fakeopenai"
)

// Mid-stream continuation of native streams and of tool calls: the failover environment with
// both aliases on Anthropic-wire fakes (/v1/messages served natively), OpenAI ones (native
// /v1/responses) or chat ones (tool calls).

// messagesResult is what an Anthropic SDK client saw of one streamed message.
type messagesResult struct {
	msg    anthropic.Message
	types  []string // the event types, in order
	events []anthropic.MessageStreamEventUnion
	err    error
}

// count is how many events of typ the client got.
func (r messagesResult) count(typ string) int {
	n := 0
	for _, t := range r.types {
		if t == typ {
			n++
		}
	}
	return n
}

// messagesParams is the request of the Messages continuation tests; with tools it offers
// get_weather.
func messagesParams(tools bool) anthropic.MessageNewParams {
	p := anthropic.MessageNewParams{Model: "gpt", MaxTokens: 256,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("count to ten, six times"))}}
	if tools {
		p.Tools = []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{Name: "get_weather",
			InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"city": map[string]any{"type": "string"}}}}}}
	}
	return p
}

// messagesStream streams p from /v1/messages through the official Anthropic SDK.
func (f *failoverEnv) messagesStream(t *testing.T, p anthropic.MessageNewParams) messagesResult {
	t.Helper()
	key := f.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "anthropic"})["key"].(string)
	client := anthropic.NewClient(anthropicoption.WithBaseURL(f.url), anthropicoption.WithAPIKey(key), anthropicoption.WithMaxRetries(0))
	stream := client.Messages.NewStreaming(context.Background(), p)
	var r messagesResult
	for stream.Next() {
		ev := stream.Current()
		r.types = append(r.types, ev.Type)
		r.events = append(r.events, ev)
		if err := r.msg.Accumulate(ev); err != nil {
			t.Fatal(err)
		}
	}
	r.err = stream.Err()
	return r
}

// lastRaw is the body of the last request fake saw.
func lastRaw(t *testing.T, fake *fakeopenai.Server) []byte {
	t.Helper()
	reqs := fake.Requests()
	if len(reqs) == 0 {
		t.Fatal("the fake saw no request")
	}
	return reqs[len(reqs)-1].Raw
}

// clientBody is the Messages request the SDK sends for p, as an upstream gets it.
func clientBody(t *testing.T, p anthropic.MessageNewParams, model string) string {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := sjson.SetBytes(b, "stream", true)
	out, _ = sjson.SetBytes(out, "model", model)
	return string(out)
}

// words is the first n words of the known reply, as delivered.
func words(n int) string { return strings.Join(strings.SplitAfter(knownReply, " ")[:n], "") }

func TestFailoverNativeMessagesStreamIsContinued(t *testing.T) {
	for _, tt := range []struct {
		name   string
		script fakeopenai.Script
		cut    int // words delivered before the cut
		router map[string]any
	}{
		{"cut", fakeopenai.Script{CutAfter: 40}, 40, nil},
		{"error event", fakeopenai.Script{ErrorEventAfter: 10}, 10, nil},
		{"stall", fakeopenai.Script{StallAfter: 20, StallFor: 30e9}, 20, map[string]any{"stream_idle_timeout_ms": 300}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFailoverEnvOf(t, "anthropic")
			f.prefill(t)
			if tt.router != nil {
				f.mustAdmin(200, "PUT", "/admin/router", tt.router)
			}
			f.primary.Set(tt.script)
			p := messagesParams(false)
			r := f.messagesStream(t, p)
			if r.err != nil || len(r.msg.Content) != 1 || r.msg.Content[0].Text != knownReply || r.msg.StopReason != anthropic.StopReasonEndTurn ||
				r.msg.Model != "gpt" || r.msg.ID != "msg_fake1" {
				t.Fatalf("err %v, accumulated %s", r.err, string(mustJSON(r.msg)))
			}
			if r.count("message_start") != 1 || r.count("message_delta") != 1 || r.count("message_stop") != 1 ||
				r.count("content_block_start") != 1 || r.count("content_block_stop") != 1 || r.count("error") != 0 {
				t.Fatalf("events %v", r.types)
			}
			if r.msg.Usage.OutputTokens <= 60-int64(tt.cut) {
				t.Errorf("output tokens %d: not those of the whole message", r.msg.Usage.OutputTokens)
			}
			f.expect(t, []string{"primary", "backup"})
			// The primary got the client's request; the backup the same plus the text
			// delivered as a trailing assistant message (its trailing space trimmed), with
			// max_tokens lowered by what was delivered.
			if got, want := string(lastRaw(t, f.primary)), clientBody(t, p, "m-primary"); got != want {
				t.Errorf("primary got\n%s\nwant\n%s", got, want)
			}
			cont := gjson.ParseBytes(lastRaw(t, f.backup))
			msgs := cont.Get("messages").Array()
			if len(msgs) != 2 || msgs[1].Get("role").Str != "assistant" || msgs[1].Get("content.#").Int() != 1 ||
				msgs[1].Get("content.0.type").Str != "text" || msgs[1].Get("content.0.text").Str != strings.TrimSpace(words(tt.cut)) {
				t.Fatalf("backup got messages %s", cont.Get("messages").Raw)
			}
			if mt := cont.Get("max_tokens").Int(); mt >= 256 || mt < 256-int64(tt.cut)*2 || cont.Get("model").Str != "m-backup" {
				t.Errorf("backup got max_tokens %d, model %s", mt, cont.Get("model").Str)
			}
			row := f.requestLogs(1)[0]
			log, _ := row["attempt_log"].([]any)
			if row["status"] != float64(200) || row["provider_id"] != f.ids["provider:backup"] || len(log) != 2 ||
				log[0].(map[string]any)["status"].(float64) < 500 || log[1].(map[string]any)["continuation"] == nil {
				t.Fatalf("log row %v", row)
			}
			if c := log[1].(map[string]any)["continuation"].(map[string]any); c["delivered_bytes"] != float64(len(words(tt.cut))) || c["blocks"] != float64(1) {
				t.Errorf("continuation logged as %v", c)
			}
		})
	}
}

// A cut with no deployment that takes a prefill, or one that refuses it: the message ends
// with an error event naming the original failure, never the prefill's 400.
func TestFailoverNativeMessagesCutNotContinued(t *testing.T) {
	notContinued(t, "anthropic", func(t *testing.T, f *failoverEnv, calls []string) {
		r := f.messagesStream(t, messagesParams(false))
		if r.err == nil || strings.Contains(r.err.Error(), "prefill") || !strings.Contains(r.err.Error(), "stream ended unexpectedly") {
			t.Fatalf("stream error %v", r.err)
		}
		if len(r.msg.Content) != 1 || r.msg.Content[0].Text != words(40) || r.count("message_stop") != 0 || r.count("message_delta") != 0 {
			t.Fatalf("events %v, accumulated %s", r.types, string(mustJSON(r.msg)))
		}
		f.expect(t, calls)
		row := f.requestLogs(1)[0]
		if log, _ := row["attempt_log"].([]any); row["status"] != float64(502) || row["cost"] != float64(0) || len(log) != len(calls) ||
			log[0].(map[string]any)["error"] != "anthropic stream ended unexpectedly" {
			t.Fatalf("log row %v", row)
		}
	})
}

// Tool calls on /v1/messages: a cut between two tool_use blocks is continued (the backup is
// asked to go on after the first); a cut inside the second's input ends with an error event
// naming the cut, and the backup is not asked.
func TestFailoverNativeMessagesToolUseCut(t *testing.T) {
	t.Run("between blocks", func(t *testing.T) {
		f := newFailoverEnvOf(t, "anthropic")
		f.prefill(t)
		f.primary.Set(fakeopenai.Script{ToolCalls: 2, CutAfter: 3})
		f.backup.Set(fakeopenai.Script{ToolCalls: 2})
		r := f.messagesStream(t, messagesParams(true))
		if r.err != nil || r.msg.StopReason != anthropic.StopReasonToolUse || len(r.msg.Content) != 2 || r.count("message_start") != 1 {
			t.Fatalf("err %v, events %v, accumulated %s", r.err, r.types, string(mustJSON(r.msg)))
		}
		for i, want := range []struct{ id, input string }{{"toolu_abc123", `{"city":"Paris"}`}, {"toolu_abc123_1", `{"city":"Tokyo"}`}} {
			if b := r.msg.Content[i]; b.Type != "tool_use" || b.ID != want.id || b.Name != "get_weather" || string(b.Input) != want.input {
				t.Errorf("block %d: %s", i, string(mustJSON(b)))
			}
		}
		f.expect(t, []string{"primary", "backup"})
		last := gjson.GetBytes(lastRaw(t, f.backup), "messages.1")
		if last.Get("role").Str != "assistant" || last.Get("content.#").Int() != 1 || last.Get("content.0.type").Str != "tool_use" ||
			last.Get("content.0.id").Str != "toolu_abc123" || last.Get("content.0.input").Raw != `{"city":"Paris"}` {
			t.Fatalf("backup got prefill %s", last.Raw)
		}
	})
	t.Run("inside a block", func(t *testing.T) {
		f := newFailoverEnvOf(t, "anthropic")
		f.prefill(t)
		f.primary.Set(fakeopenai.Script{ToolCalls: 2, CutAfter: 5})
		r := f.messagesStream(t, messagesParams(true))
		if r.err == nil || !strings.Contains(r.err.Error(), "stream ended unexpectedly") || r.count("message_delta") != 0 {
			t.Fatalf("err %v, events %v", r.err, r.types)
		}
		f.expect(t, []string{"primary"})
		row := f.requestLogs(1)[0]
		if log, _ := row["attempt_log"].([]any); row["status"] != float64(502) || len(log) != 1 {
			t.Fatalf("log row %v", row)
		}
	})
}

// chatToolStream streams a chat answer offering get_weather through the OpenAI SDK: the tool
// calls the client accumulated, and how the stream ended.
func (f *failoverEnv) chatToolStream() (calls []openai.ChatCompletionMessageToolCallUnion, finish string, err error) {
	st := f.client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("weather in two cities?")},
		Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{Name: "get_weather"})},
	})
	var acc openai.ChatCompletionAccumulator
	for st.Next() {
		acc.AddChunk(st.Current())
	}
	if len(acc.Choices) > 0 {
		calls, finish = acc.Choices[0].Message.ToolCalls, acc.Choices[0].FinishReason
	}
	return calls, finish, st.Err()
}

// Tool calls on chat streams: a cut between two tool calls is continued, a cut inside the
// second's arguments is an error event naming the cut.
func TestFailoverStreamToolCallCut(t *testing.T) {
	t.Run("between calls", func(t *testing.T) {
		f := newFailoverEnv(t)
		f.prefill(t)
		f.primary.Set(fakeopenai.Script{ToolCalls: 2, CutAfter: 3})
		f.backup.Set(fakeopenai.Script{ToolCalls: 2})
		calls, finish, err := f.chatToolStream()
		if err != nil || finish != "tool_calls" || len(calls) != 2 {
			t.Fatalf("err %v, finish %q, calls %s", err, finish, string(mustJSON(calls)))
		}
		for i, want := range []struct{ id, args string }{{"call_abc123", `{"city":"Paris"}`}, {"call_abc123_1", `{"city":"Tokyo"}`}} {
			if c := calls[i]; c.ID != want.id || c.Function.Name != "get_weather" || c.Function.Arguments != want.args {
				t.Errorf("call %d: %s", i, string(mustJSON(c)))
			}
		}
		f.expect(t, []string{"primary", "backup"})
		last := gjson.GetBytes(lastRaw(t, f.backup), "messages.1")
		if last.Get("role").Str != "assistant" || last.Get("tool_calls.#").Int() != 1 || last.Get("tool_calls.0.id").Str != "call_abc123" ||
			last.Get("tool_calls.0.function.arguments").Str != `{"city":"Paris"}` {
			t.Fatalf("backup got prefill %s", last.Raw)
		}
	})
	t.Run("inside a call", func(t *testing.T) {
		f := newFailoverEnv(t)
		f.prefill(t)
		f.primary.Set(fakeopenai.Script{ToolCalls: 2, CutAfter: 5})
		_, finish, err := f.chatToolStream()
		if err == nil || !strings.Contains(err.Error(), "stream ended unexpectedly") || strings.Contains(err.Error(), "prefill") || finish != "" {
			t.Fatalf("err %v, finish %q", err, finish)
		}
		f.expect(t, []string{"primary"})
	})
}

// A native /v1/responses stream is not continued (OpenAI does not continue a prefill): a cut
// ends with response.failed naming it, and the attempt is logged.
func TestFailoverNativeResponsesCutFails(t *testing.T) {
	f := newFailoverEnvOf(t, "openai")
	f.prefill(t)
	f.primary.Set(fakeopenai.Script{CutAfter: 30})
	st := f.client.Responses.NewStreaming(context.Background(), responses.ResponseNewParams{Model: "gpt",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("count to ten, six times")}})
	var types []string
	var failed responses.ResponseStreamEventUnion
	for st.Next() {
		ev := st.Current()
		types = append(types, ev.Type)
		if ev.Type == "response.failed" {
			failed = ev
		}
	}
	if err := st.Err(); err != nil {
		t.Fatalf("stream error %v", err)
	}
	if types[len(types)-1] != "response.failed" || slices.Contains(types, "response.completed") {
		t.Fatalf("events %v", types)
	}
	if r := failed.Response; r.Status != "failed" || r.Model != "gpt" || !strings.Contains(r.Error.Message, "stream ended unexpectedly") ||
		r.Error.Code == "" || !strings.HasPrefix(r.ID, "resp_") {
		t.Fatalf("response.failed %s", failed.RawJSON())
	}
	f.expect(t, []string{"primary"})
	row := f.requestLogs(1)[0]
	log, _ := row["attempt_log"].([]any)
	if row["status"] != float64(502) || row["cost"] != float64(0) || len(log) != 1 || log[0].(map[string]any)["status"] != float64(502) {
		t.Fatalf("log row %v", row)
	}
}
