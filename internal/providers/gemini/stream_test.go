package gemini

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

// streamRequest is the client request of the transcript tests; "_n2" transcripts ask for two
// choices.
func streamRequest(t testing.TB, name string) *llm.ChatRequest {
	body := `{"model":"alias","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	if strings.Contains(name, "_n2") {
		body = `{"model":"alias","stream":true,"n":2,"messages":[{"role":"user","content":"hi"}]}`
	}
	return providertest.ChatRequest(t, []byte(body))
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
				st, err := c.ChatStream(context.Background(), streamRequest(t, name), "gemini-2.5-flash")
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
	text := func(c [][]byte, choice int) string {
		var s string
		for _, ch := range c {
			gjson.GetBytes(ch, "choices").ForEach(func(_, cc gjson.Result) bool {
				if int(cc.Get("index").Int()) == choice {
					s += cc.Get("delta.content").Str
				}
				return true
			})
		}
		return s
	}
	finish := func(c [][]byte, choice int) string {
		var s string
		for _, ch := range c {
			gjson.GetBytes(ch, "choices").ForEach(func(_, cc gjson.Result) bool {
				if int(cc.Get("index").Int()) == choice && cc.Get("finish_reason").Str != "" {
					s += cc.Get("finish_reason").Str
				}
				return true
			})
		}
		return s
	}
	usage := func(t *testing.T, c [][]byte, prompt, completion, total, cached int) {
		t.Helper()
		last := gjson.ParseBytes(c[len(c)-1])
		if !last.Get("choices").IsArray() || len(last.Get("choices").Array()) != 0 {
			t.Errorf("last chunk is not usage-only: %s", last.Raw)
		}
		u := last.Get("usage")
		if int(u.Get("prompt_tokens").Int()) != prompt || int(u.Get("completion_tokens").Int()) != completion ||
			int(u.Get("total_tokens").Int()) != total || int(u.Get("prompt_tokens_details.cached_tokens").Int()) != cached {
			t.Errorf("usage %s", u.Raw)
		}
	}
	tests := []providertest.StreamCase{
		{Name: "text", Chunks: 6, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			if got := gjson.GetBytes(c[0], "choices.0.delta.role").Str; got != "assistant" {
				t.Errorf("first chunk %s", c[0])
			}
			if s := text(c, 0); s != "Functions call themselves,\nloops within loops unfold." {
				t.Errorf("text %q", s)
			}
			if f := finish(c, 0); f != "stop" {
				t.Errorf("finish %q", f)
			}
			usage(t, c, 8, 32, 40, 0)
			for _, ch := range c {
				if id := gjson.GetBytes(ch, "id").Str; id != "chatcmpl-r1" {
					t.Errorf("id %q", id)
				}
			}
		}},
		{Name: "tool_calls_parallel", Chunks: 5, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			calls := gjson.GetBytes(c[2], "choices.0.delta.tool_calls").Array()
			if len(calls) != 2 || calls[0].Get("index").Int() != 0 || calls[1].Get("index").Int() != 1 ||
				calls[0].Get("id").Str != "call_0" || calls[1].Get("id").Str != "call_1" ||
				calls[1].Get("function.arguments").Str != `{"city":"Tokyo"}` ||
				calls[0].Get("extra_content.google.thought_signature").Str != "EhsKGQG+sig" {
				t.Errorf("tool calls %s", c[2])
			}
			if f := finish(c, 0); f != "tool_calls" {
				t.Errorf("finish %q", f)
			}
		}},
		{Name: "error_midstream", Chunks: 2, End: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=false",
			Msg: "gemini: The model is overloaded"},
		{Name: "error_first", Chunks: 0, End: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=false",
			Msg: "Resource has been exhausted"},
		{Name: "cut", Chunks: 3, End: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=false", Msg: "ended unexpectedly"},
		{Name: "cut_mid_event", Chunks: 2, End: "*llm.Error status=502", Msg: "ended unexpectedly", Skipped: 1},
		{Name: "empty", Chunks: 0, End: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=false", Msg: "ended unexpectedly"},
		// One event that is not JSON in an otherwise complete stream: skipped and counted.
		{Name: "malformed", Chunks: 6, End: "io.EOF", Skipped: 1, Check: func(t *testing.T, c [][]byte) {
			if s := text(c, 0); s != "Functions call themselves,\nloops within loops unfold." || finish(c, 0) != "stop" {
				t.Errorf("text %q, finish %q", s, finish(c, 0))
			}
		}},
		{Name: "prompt_blocked", Chunks: 3, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			if f := finish(c, 0); f != "content_filter" {
				t.Errorf("finish %q", f)
			}
			usage(t, c, 6, 0, 6, 0)
		}},
		{Name: "safety", Chunks: 4, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			if f := finish(c, 0); f != "content_filter" {
				t.Errorf("finish %q", f)
			}
		}},
		{Name: "max_tokens", Chunks: 4, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			if f := finish(c, 0); f != "length" {
				t.Errorf("finish %q", f)
			}
			usage(t, c, 8, 3, 11, 4)
		}},
		{Name: "usage_after_finish", Chunks: 4, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			usage(t, c, 8, 1, 9, 0)
		}},
		{Name: "candidates_n2", Chunks: 9, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			if text(c, 0) != "Aa" || text(c, 1) != "Bb" || finish(c, 0) != "stop" || finish(c, 1) != "stop" {
				t.Errorf("choices %q %q", text(c, 0), text(c, 1))
			}
		}},
		{Name: "candidates_n2_cut", Chunks: 5, End: "*llm.Error status=502", Msg: "ended unexpectedly"},
		{Name: "error_after_finish", Chunks: 4, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			usage(t, c, 3, 1, 4, 0)
		}},
		{Name: "error_event_nodata", Chunks: 0, End: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=false", Msg: "error event in stream"},
		{Name: "thought_parts", Chunks: 4, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			if s := text(c, 0); s != "7" {
				t.Errorf("thought text leaked: %q", s)
			}
		}},
	}
	providertest.RunStreamCases(t, tests, func(name string, body io.ReadCloser) llm.ChunkStream {
		n := 1
		if strings.Contains(name, "_n2") {
			n = 2
		}
		return newStream(body, &responseTranslator{model: "m", created: 1, newID: func() string { return "x" }}, n)
	})
}

// TestStreamConnectionCut: the upstream dies in the middle of an event.
func TestStreamConnectionCut(t *testing.T) {
	first := "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hel\"}],\"role\":\"model\"},\"index\":0}]}\r\n\r\n"
	up := providertest.NewUpstream(t, providertest.CutStream(t, first+"data: {\"candi"))
	c := newClient(t, up.URL)
	st, err := c.ChatStream(context.Background(), streamRequest(t, "cut"), "m")
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
		_, _ = w.Write([]byte("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]},\"index\":0}]}\n\n"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	c := newClient(t, up.URL)
	ctx, cancel := context.WithCancel(context.Background())
	st, err := c.ChatStream(ctx, streamRequest(t, "ctx"), "m")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for range 2 { // role, content
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
		{`[{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}]`, "gemini: Quota exceeded"},
		{`[{"candidates":[]}]`, "without an event stream"},
		{`{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}`, "gemini: Quota exceeded"},
	} {
		up := providertest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=UTF-8")
			_, _ = w.Write([]byte(tt.body))
		})
		c := newClient(t, up.URL)
		st, err := c.ChatStream(context.Background(), streamRequest(t, "json"), "m")
		if st != nil {
			t.Error("got a stream")
		}
		if e := providertest.AsLLMError(t, err); e.Status != 502 || !e.Retryable || !strings.Contains(e.Message, tt.msg) {
			t.Errorf("got %s", providertest.Describe(err))
		}
	}
}

func BenchmarkStream(b *testing.B) {
	providertest.BenchStream(b, "tool_calls_parallel", func(body io.ReadCloser) llm.ChunkStream {
		return newStream(body, &responseTranslator{model: "m", created: 1, newID: func() string { return "x" }}, 1)
	})
}
