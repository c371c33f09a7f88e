package cohere

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/providers/providertest"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

func streamRequest(t testing.TB) *llm.ChatRequest {
	return providertest.ChatRequest(t, []byte(`{"model":"alias","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
}

// TestStreamTranscripts replays testdata/streams/<case>.sse and pins the chunks and the end
// in <case>.golden, whatever the pieces the body arrives in.
func TestStreamTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/streams/*.sse")
	if err != nil || len(files) < 10 {
		t.Fatalf("transcripts: %v %v", files, err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sse")
		t.Run(name, func(t *testing.T) {
			transcript := providertest.ReadFile(t, f)
			var want []byte
			for _, piece := range []int{1 << 20, 7, 1} {
				up := providertest.NewUpstream(t, providertest.Replay(sseType, transcript, piece))
				c := newClient(t, up.URL)
				st, err := c.ChatStream(context.Background(), streamRequest(t), "command-a-03-2025")
				if err != nil {
					t.Fatal(err)
				}
				_, got, _ := providertest.Drain(t, st)
				if err := st.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
				if want == nil {
					want = got
					providertest.Golden(t, strings.TrimSuffix(f, ".sse")+".golden", got, *update)
				} else if !bytes.Equal(got, want) {
					t.Errorf("written in %d-byte pieces:\n%s\nwhole:\n%s", piece, got, want)
				}
			}
		})
	}
}

// TestStreamSemantics states what the goldens must show.
func TestStreamSemantics(t *testing.T) {
	text := func(c [][]byte) string {
		var s string
		for _, ch := range c {
			s += gjson.GetBytes(ch, "choices.0.delta.content").Str
		}
		return s
	}
	finish := func(c [][]byte) string {
		var s string
		for _, ch := range c {
			s += gjson.GetBytes(ch, "choices.0.finish_reason").Str
		}
		return s
	}
	usage := func(t *testing.T, c [][]byte, prompt, completion, cached int) {
		t.Helper()
		last := gjson.ParseBytes(c[len(c)-1])
		if !last.Get("choices").IsArray() || len(last.Get("choices").Array()) != 0 {
			t.Errorf("last chunk is not usage-only: %s", last.Raw)
		}
		u := last.Get("usage")
		if int(u.Get("prompt_tokens").Int()) != prompt || int(u.Get("completion_tokens").Int()) != completion ||
			int(u.Get("total_tokens").Int()) != prompt+completion || int(u.Get("prompt_tokens_details.cached_tokens").Int()) != cached {
			t.Errorf("usage %s", u.Raw)
		}
	}
	tests := []providertest.StreamCase{
		{Name: "text", Chunks: 6, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			if gjson.GetBytes(c[0], "choices.0.delta.role").Str != "assistant" {
				t.Errorf("first chunk %s", c[0])
			}
			if s := text(c); s != "Functions call themselves,\nloops within loops unfold." {
				t.Errorf("text %q", s)
			}
			if f := finish(c); f != "stop" {
				t.Errorf("finish %q", f)
			}
			usage(t, c, 3, 9, 0)
			for _, ch := range c {
				if id := gjson.GetBytes(ch, "id").Str; id != "29f14a5a-11de-4cae-9800-25e4747408ea" {
					t.Errorf("id %q", id)
				}
			}
		}},
		{Name: "text_unnamed", Chunks: 4, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			usage(t, c, 2, 1, 1)
		}},
		{Name: "tool_calls_parallel", Chunks: 11, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			args, ids := map[int64]string{}, map[int64]string{}
			for _, ch := range c {
				gjson.GetBytes(ch, "choices.0.delta.tool_calls").ForEach(func(_, tc gjson.Result) bool {
					i := tc.Get("index").Int()
					args[i] += tc.Get("function.arguments").Str
					ids[i] += tc.Get("id").Str
					return true
				})
			}
			if args[0] != "{\n    \"location\": \"Madrid\"\n}" || args[1] != `{"location": "Brasilia"}` ||
				ids[0] != "get_weather_nsz5zm3w56q3" || ids[1] != "get_weather_jgp6dvppf7y5" {
				t.Errorf("tool calls %v %v", ids, args)
			}
			if s := text(c); s != "I will check both." {
				t.Errorf("tool plan as content %q", s)
			}
			if f := finish(c); f != "tool_calls" {
				t.Errorf("finish %q", f)
			}
			usage(t, c, 37, 28, 0)
		}},
		{Name: "citations", Chunks: 4, End: "io.EOF"},
		{Name: "error_after_end", Chunks: 3, End: "io.EOF", Skipped: 1},
		{Name: "error_event_nodata", Chunks: 1, End: "*llm.Error status=502", Msg: "error event in stream"},
		{Name: "thinking", Chunks: 4, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			if s := text(c); s != "42" {
				t.Errorf("thinking leaked: %q", s)
			}
		}},
		{Name: "max_tokens", Chunks: 4, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			if f := finish(c); f != "length" {
				t.Errorf("finish %q", f)
			}
		}},
		{Name: "keepalive_crlf", Chunks: 4, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			if s := text(c); s != "line one\r\nline two" {
				t.Errorf("text %q", s)
			}
		}},
		{Name: "error_midstream", Chunks: 2, End: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=false",
			Msg: "cohere: internal server error"},
		{Name: "error_event", Chunks: 2, End: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=false",
			Msg: "cohere: stream interrupted: upstream overloaded"},
		{Name: "error_first", Chunks: 0, End: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=false",
			Msg: "too many tokens"},
		{Name: "timeout", Chunks: 1, End: "*llm.Error status=504 type=upstream_error code=upstream_timeout", Msg: "TIMEOUT"},
		{Name: "cut", Chunks: 3, End: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=false", Msg: "ended unexpectedly"},
		{Name: "done_before_end", Chunks: 2, End: "*llm.Error status=502", Msg: "ended unexpectedly"},
		{Name: "cut_mid_event", Chunks: 2, End: "*llm.Error status=502", Msg: "ended unexpectedly", Skipped: 1},
		{Name: "empty", Chunks: 0, End: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=false", Msg: "ended unexpectedly"},
		// One event that is not JSON in an otherwise complete stream: skipped and counted.
		{Name: "malformed", Chunks: 6, End: "io.EOF", Skipped: 1, Check: func(t *testing.T, c [][]byte) {
			if s := text(c); s != "Functions call themselves,\nloops within loops unfold." || finish(c) != "stop" {
				t.Errorf("text %q, finish %q", s, finish(c))
			}
			usage(t, c, 3, 9, 0)
		}},
		{Name: "orphan_tool_delta", Chunks: 1, End: "*llm.Error status=502", Msg: "without its tool-call-start"},
	}
	providertest.RunStreamCases(t, tests, func(_ string, body io.ReadCloser) llm.ChunkStream {
		return newStream(body, "m", 1, "chatcmpl-x")
	})
}

// TestStreamConnectionCut: the upstream dies in the middle of an event.
func TestStreamConnectionCut(t *testing.T) {
	first := "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"Hel\"}}}}\n\n"
	up := providertest.NewUpstream(t, providertest.CutStream(t, first+"event: content-delta\ndata: {\"ty"))
	c := newClient(t, up.URL)
	st, err := c.ChatStream(context.Background(), streamRequest(t), "m")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	chunks, _, end := providertest.Drain(t, st)
	if len(chunks) != 2 {
		t.Errorf("chunks %q", chunks)
	}
	e := providertest.AsLLMError(t, end)
	if e.Status != 502 || e.Code != llm.CodeUpstreamError || e.Retryable || !errors.Is(e, io.ErrUnexpectedEOF) {
		t.Errorf("end = %s (cause %v)", providertest.Describe(end), e.Cause)
	}
}

func TestStreamContext(t *testing.T) {
	up := providertest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte("event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"x\"}}}}\n\n"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	c := newClient(t, up.URL)
	ctx, cancel := context.WithCancel(context.Background())
	st, err := c.ChatStream(ctx, streamRequest(t), "m")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for range 2 {
		if _, err := st.Next(); err != nil {
			t.Fatal(err)
		}
	}
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = st.Next()
	if e := providertest.AsLLMError(t, err); e.Status != 499 || e.Retryable {
		t.Errorf("got %s", providertest.Describe(err))
	}
}

// TestStreamJSONAnswer: a 200 with a JSON body instead of an event stream.
func TestStreamJSONAnswer(t *testing.T) {
	for _, tt := range []struct{ body, msg string }{
		{`{"message":"internal server error"}`, "cohere: internal server error"},
		{`{"id":"x","message":{"role":"assistant","content":[]},"finish_reason":"COMPLETE"}`, "without an event stream"},
	} {
		up := providertest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(tt.body))
		})
		st, err := newClient(t, up.URL).ChatStream(context.Background(), streamRequest(t), "m")
		if st != nil {
			t.Error("got a stream")
		}
		if e := providertest.AsLLMError(t, err); e.Status != 502 || !e.Retryable || !strings.Contains(e.Message, tt.msg) {
			t.Errorf("got %s", providertest.Describe(err))
		}
	}
}

func BenchmarkStream(b *testing.B) {
	providertest.BenchStream(b, "tool_calls_parallel", func(body io.ReadCloser) llm.ChunkStream { return newStream(body, "m", 1, "chatcmpl-x") })
}
