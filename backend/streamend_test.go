package backend

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/fakeopenai"
)

// Edges of a streamed answer's end and of its continuation, as the client's SDK sees them.

// seq is a sequence of event types: each name, followed by how many times it occurs where
// that is more than once.
func seq(parts ...any) []string {
	var out []string
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			out = append(out, p)
		case int:
			for range p - 1 {
				out = append(out, out[len(out)-1])
			}
		}
	}
	return out
}

// messagesText is the event types of a one-text-block message of n deltas.
func messagesText(n int) []string {
	return seq("message_start", "content_block_start", "content_block_delta", n, "content_block_stop", "message_delta", "message_stop")
}

// chatEvents is the kinds of the data events of a raw chat stream: "delta", "finish",
// "usage", "[DONE]".
func chatEvents(body []byte) []string {
	var out []string
	for _, line := range strings.Split(string(body), "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		switch {
		case !ok:
		case data == "[DONE]":
			out = append(out, data)
		case gjson.Get(data, "choices.0.finish_reason").Str != "":
			out = append(out, "finish")
		case gjson.Get(data, "usage.total_tokens").Int() > 0:
			out = append(out, "usage")
		default:
			out = append(out, "delta")
		}
	}
	return out
}

// A stream that delivered its finish reason and lost only its end marker is complete, and
// the client gets a well-formed end in every API: chat its [DONE]; Messages its
// message_stop (with or without a deployment to continue on, which decides whether its
// events are kept); a Responses stream its terminal event, which is its end.
func TestStreamCutAfterFinishEndsWellFormed(t *testing.T) {
	t.Run("chat", func(t *testing.T) {
		f := newFailoverEnv(t)
		f.primary.Set(fakeopenai.Script{NoDone: true})
		key := f.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "raw"})["key"].(string)
		resp, body := f.do("POST", "/v1/chat/completions", map[string]any{"model": "gpt", "stream": true,
			"stream_options": map[string]any{"include_usage": true},
			"messages":       []any{map[string]any{"role": "user", "content": "count to ten, six times"}}},
			map[string]string{"Authorization": "Bearer " + key})
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		want := seq("delta", 61, "finish", "usage", "[DONE]")
		if got := chatEvents(body); !slices.Equal(got, want) {
			t.Fatalf("events %v\nwant %v", got, want)
		}
		f.expect(t, []string{"primary"})
		if row := f.requestLogs(1)[0]; row["status"] != float64(200) {
			t.Fatalf("log row %v", row)
		}
	})
	for _, prefill := range []bool{false, true} {
		name := "messages"
		if prefill {
			name += ", continuable"
		}
		t.Run(name, func(t *testing.T) {
			f := newFailoverEnvOf(t, "anthropic")
			if prefill {
				f.prefill(t)
			}
			f.primary.Set(fakeopenai.Script{NoDone: true})
			r := f.messagesStream(t, messagesParams(false))
			if want := messagesText(60); r.err != nil || !slices.Equal(r.types, want) {
				t.Fatalf("err %v, events %v\nwant %v", r.err, r.types, want)
			}
			if r.msg.Content[0].Text != knownReply || r.msg.StopReason != anthropic.StopReasonEndTurn || r.msg.Usage.OutputTokens != 60 {
				t.Fatalf("accumulated %s", string(mustJSON(r.msg)))
			}
			f.expect(t, []string{"primary"})
			if row := f.requestLogs(1)[0]; row["status"] != float64(200) || row["completion_tokens"] != float64(60) {
				t.Fatalf("log row %v", row)
			}
		})
	}
	t.Run("responses", func(t *testing.T) {
		f := newFailoverEnvOf(t, "openai")
		f.primary.Set(fakeopenai.Script{NoDone: true})
		st := f.client.Responses.NewStreaming(context.Background(), responses.ResponseNewParams{Model: "gpt",
			Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("count to ten, six times")}})
		var types []string
		var text string
		for st.Next() {
			ev := st.Current()
			types = append(types, ev.Type)
			if ev.Type == "response.completed" {
				text = ev.Response.OutputText()
			}
		}
		want := seq("response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
			"response.output_text.delta", 60, "response.output_text.done", "response.content_part.done", "response.output_item.done",
			"response.completed")
		if err := st.Err(); err != nil || !slices.Equal(types, want) || text != knownReply {
			t.Fatalf("err %v, text %q, events %v\nwant %v", err, text, types, want)
		}
		f.expect(t, []string{"primary"})
		if row := f.requestLogs(1)[0]; row["status"] != float64(200) {
			t.Fatalf("log row %v", row)
		}
	})
}

// A cut inside the text block, continued by a deployment that answers with a tool_use block:
// the text block is closed before the tool's begins.
func TestFailoverNativeMessagesTextThenToolUse(t *testing.T) {
	f := newFailoverEnvOf(t, "anthropic")
	f.prefill(t)
	f.primary.Set(fakeopenai.Script{TextWithTools: true, CutAfter: 40})
	r := f.messagesStream(t, messagesParams(true))
	want := seq("message_start", "content_block_start", "content_block_delta", 40, "content_block_stop",
		"content_block_start", "content_block_delta", 2, "content_block_stop", "message_delta", "message_stop")
	if r.err != nil || !slices.Equal(r.types, want) {
		t.Fatalf("err %v, events %v\nwant %v", r.err, r.types, want)
	}
	for i, ev := range r.events {
		if ev.Type == "content_block_stop" || ev.Type == "content_block_start" || ev.Type == "content_block_delta" {
			if wantIndex := int64(min(max(i-42, 0), 1)); ev.Index != wantIndex {
				t.Errorf("event %d (%s): index %d, want %d", i, ev.Type, ev.Index, wantIndex)
			}
		}
	}
	if len(r.msg.Content) != 2 || r.msg.Content[0].Text != words(40) || r.msg.Content[1].Type != "tool_use" ||
		string(r.msg.Content[1].Input) != `{"city":"Paris"}` || r.msg.StopReason != anthropic.StopReasonToolUse {
		t.Fatalf("accumulated %s", string(mustJSON(r.msg)))
	}
	f.expect(t, []string{"primary", "backup"})
}

// The usage of a continued message is the whole answer's: the client's prompt as its
// message_start reported it (not the continuation's, whose prompt held the prefill and hit
// another cache) and every output token; the log row counts the same.
func TestFailoverNativeMessagesContinuedUsage(t *testing.T) {
	f := newFailoverEnvOf(t, "anthropic")
	f.prefill(t)
	f.primary.Set(fakeopenai.Script{CutAfter: 40, CacheRead: 5})
	f.backup.Set(fakeopenai.Script{CacheRead: 30})
	r := f.messagesStream(t, messagesParams(false))
	if want := messagesText(61); r.err != nil || !slices.Equal(r.types, want) {
		t.Fatalf("err %v, events %v\nwant %v", r.err, r.types, want)
	}
	start := r.events[0].Message.Usage
	delta := r.events[len(r.events)-2].Usage
	if start.CacheReadInputTokens != 5 || start.InputTokens < 1 {
		t.Fatalf("message_start usage %s", start.RawJSON())
	}
	if delta.InputTokens != start.InputTokens || delta.CacheReadInputTokens != 5 || delta.CacheCreationInputTokens != 0 ||
		delta.OutputTokens <= 20 || delta.OutputTokens >= 60+20 {
		t.Fatalf("message_delta usage %s (message_start %s)", delta.RawJSON(), start.RawJSON())
	}
	if u := r.msg.Usage; u.InputTokens != start.InputTokens || u.CacheReadInputTokens != 5 || u.OutputTokens != delta.OutputTokens {
		t.Fatalf("accumulated usage %s", u.RawJSON())
	}
	row := f.requestLogs(1)[0]
	if row["prompt_tokens"] != float64(start.InputTokens+5) || row["completion_tokens"] != float64(delta.OutputTokens) {
		t.Fatalf("log row %v (client usage %s)", row, delta.RawJSON())
	}
	if !bytes.Contains(lastRaw(t, f.backup), []byte(`"role":"assistant"`)) {
		t.Fatal("the backup was not asked to continue")
	}
}
