package openai

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/providers/providertest"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

// TestStreamTranscripts replays testdata/streams/<case>.sse and pins the sequence of chunks
// and the final result in <case>.golden.
func TestStreamTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/streams/*.sse")
	if err != nil || len(files) < 15 {
		t.Fatalf("transcripts: %v %v", files, err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sse")
		t.Run(name, func(t *testing.T) {
			transcript := providertest.ReadFile(t, f)
			var want []byte
			for _, piece := range []int{1 << 20, 7, 1} {
				up := providertest.NewUpstream(t, providertest.Replay(sseType, transcript, piece))
				c := newClient(t, "openai", up.URL+"/v1", "sk-test")
				req := &llm.ChatRequest{Model: "alias", Stream: true,
					Raw: []byte(`{"model":"alias","stream":true,"messages":[{"role":"user","content":"hi"}]}`)}
				st, err := c.ChatStream(context.Background(), req, "gpt-4o")
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

// TestStreamSemantics states what the goldens must show, so that -update cannot bless a
// regression unnoticed.
func TestStreamSemantics(t *testing.T) {
	tests := []providertest.StreamCase{
		{Name: "text_usage", Chunks: 15, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			var text string
			for _, ch := range c {
				text += gjson.GetBytes(ch, "choices.0.delta.content").Str
			}
			if text != "Functions call themselves,\nLoops within loops unfold—\"base case\" ends it." {
				t.Errorf("text %q", text)
			}
			last := c[len(c)-1]
			if u := llm.ParseUsage(last); u.PromptTokens != 19 || u.CompletionTokens != 17 || u.TotalTokens != 36 ||
				u.CachedTokens() != 0 || u.PromptTokensDetails == nil {
				t.Errorf("usage chunk %s → %+v", last, u)
			}
			if u := llm.ParseUsage(c[0]); u != (llm.Usage{}) {
				t.Errorf(`"usage":null parsed as %+v`, u)
			}
		}},
		{Name: "tool_calls_parallel", Chunks: 17, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			args := map[int64]string{}
			ids := map[int64]string{}
			for _, ch := range c {
				gjson.GetBytes(ch, "choices.0.delta.tool_calls").ForEach(func(_, tc gjson.Result) bool {
					i := tc.Get("index").Int()
					args[i] += tc.Get("function.arguments").Str
					if id := tc.Get("id").Str; id != "" {
						ids[i] = id
					}
					return true
				})
			}
			if args[0] != `{"location": "Boston, MA", "unit": "fahrenheit"}` || args[1] != `{"location": "Tokyo", "unit": "celsius"}` ||
				ids[0] != "call_DdmO9pD3xa9XTPNJ32zg2hcA" || ids[1] != "call_ABPjVrCCWf4HJxjH9JYvbxY2" {
				t.Errorf("tool calls %v %v", ids, args)
			}
			if fr := gjson.GetBytes(c[len(c)-1], "choices.0.finish_reason").Str; fr != "tool_calls" {
				t.Errorf("finish_reason %q", fr)
			}
		}},
		{Name: "azure_content_filter", Chunks: 11, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			if !gjson.GetBytes(c[0], "prompt_filter_results").Exists() {
				t.Error("prompt filter chunk not relayed first")
			}
			if u := llm.ParseUsage(c[len(c)-1]); u.CachedTokens() != 1408 || u.TotalTokens != 1553 {
				t.Errorf("usage %+v", u)
			}
		}},
		{Name: "no_done", Chunks: 3, End: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=false", Msg: "ended unexpectedly"},
		{Name: "midstream_error", Chunks: 2, End: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=false",
			Msg: "openai: The server had an error while processing your request. Sorry about that!"},
		{Name: "error_first", Chunks: 0, End: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=false",
			Msg: "The model is overloaded"},
		{Name: "openrouter_error", Chunks: 2, End: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=false",
			Msg: "Provider disconnected unexpectedly"},
		{Name: "event_error", Chunks: 1, End: "*llm.Error status=502", Msg: "openai: Overloaded"},
		{Name: "event_error_nodata", Chunks: 2, End: "*llm.Error status=502", Msg: "error event in stream"},
		{Name: "keepalive", Chunks: 3, End: "io.EOF"},
		{Name: "crlf", Chunks: 3, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			if s := gjson.GetBytes(c[1], "choices.0.delta.content").Str; s != "line one\nline two" {
				t.Errorf("content %q", s)
			}
			for _, ch := range c {
				if bytes.ContainsRune(ch, '\r') {
					t.Errorf("CR left in %q", ch)
				}
			}
		}},
		{Name: "ollama", Chunks: 5, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			if u := llm.ParseUsage(c[4]); u.TotalTokens != 35 {
				t.Errorf("usage %+v", u)
			}
		}},
		{Name: "mistral", Chunks: 5, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			if u := llm.ParseUsage(c[4]); u.PromptTokens != 10 || u.CompletionTokens != 4 || u.TotalTokens != 14 {
				t.Errorf("usage %+v", u)
			}
		}},
		{Name: "groq", Chunks: 4, End: "io.EOF"},
		{Name: "multiline_data", Chunks: 2, End: "io.EOF", Check: func(t *testing.T, c [][]byte) {
			if s := gjson.GetBytes(c[0], "choices.0.delta.content").Str; s != "multi" {
				t.Errorf("content %q", s)
			}
		}},
		{Name: "truncated_json", Chunks: 1, End: "*llm.Error status=502", Msg: "ended unexpectedly", Skipped: 1},
		{Name: "done_no_newline", Chunks: 1, End: "io.EOF"},
		{Name: "non_json_data", Chunks: 1, End: "*llm.Error status=502", Msg: "ended unexpectedly", Skipped: 1},
		{Name: "array_event", Chunks: 1, End: "*llm.Error status=502", Msg: "ended unexpectedly", Skipped: 1},
		{Name: "empty", Chunks: 0, End: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=false", Msg: "ended unexpectedly"},
		{Name: "only_pings", Chunks: 0, End: "*llm.Error status=502 type=upstream_error code=upstream_error retryable=false"},
		{Name: "error_null", Chunks: 1, End: "io.EOF"},
	}
	providertest.RunStreamCases(t, tests, func(_ string, body io.ReadCloser) llm.ChunkStream {
		return NewStream("openai", body)
	})
}

// TestStreamConnectionCut: the upstream dies in the middle of an event.
func TestStreamConnectionCut(t *testing.T) {
	first := "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n"
	up := providertest.NewUpstream(t, providertest.CutStream(t, first+"data: {\"id\":\"c\",\"obj"))
	c := newClient(t, "openai", up.URL, "k")
	st, err := c.ChatStream(context.Background(), &llm.ChatRequest{Raw: []byte(`{"model":"a","stream":true,"messages":[]}`)}, "m")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	chunks, _, end := providertest.Drain(t, st)
	if len(chunks) != 1 {
		t.Errorf("chunks %q", chunks)
	}
	e := providertest.AsLLMError(t, end)
	if e.Status != 502 || e.Code != llm.CodeUpstreamError || e.Retryable || !errors.Is(e, io.ErrUnexpectedEOF) {
		t.Errorf("end = %s (cause %v)", providertest.Describe(end), e.Cause)
	}
}

// stalled sends one chunk and then holds the stream open until the client goes away.
func stalled(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	_, _ = w.Write([]byte("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[]}\n\n: ping\n\n"))
	w.(http.Flusher).Flush()
	<-r.Context().Done()
}

func TestStreamContext(t *testing.T) {
	up := providertest.NewUpstream(t, stalled)
	c := newClient(t, "openai", up.URL, "k")
	req := &llm.ChatRequest{Raw: []byte(`{"model":"a","stream":true,"messages":[]}`)}

	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		st, err := c.ChatStream(ctx, req, "m")
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if _, err := st.Next(); err != nil {
			t.Fatal(err)
		}
		time.AfterFunc(20*time.Millisecond, cancel)
		_, err = st.Next()
		e := providertest.AsLLMError(t, err)
		if e.Status != 499 || e.Code != "client_closed" || e.Retryable {
			t.Errorf("got %s", providertest.Describe(err))
		}
	})
	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		st, err := c.ChatStream(ctx, req, "m")
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if _, err := st.Next(); err != nil {
			t.Fatal(err)
		}
		_, err = st.Next()
		e := providertest.AsLLMError(t, err)
		if e.Status != 504 || e.Code != llm.CodeUpstreamTimeout || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %s", providertest.Describe(err))
		}
	})
	t.Run("close unblocks", func(t *testing.T) {
		st, err := c.ChatStream(context.Background(), req, "m")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Next(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { _, err := st.Next(); done <- err }()
		time.Sleep(20 * time.Millisecond)
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		select {
		case err := <-done:
			if err == nil || err == io.EOF {
				t.Errorf("Next after Close = %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Next still blocked after Close")
		}
	})
}

// TestStreamJSONAnswer: a 200 with a JSON body instead of an event stream.
func TestStreamJSONAnswer(t *testing.T) {
	for _, tt := range []struct {
		body, msg string
	}{
		{`{"error":{"message":"Rate limit reached for gpt-4o","type":"requests","code":"rate_limit_exceeded"}}`, "openai: Rate limit reached for gpt-4o"},
		{`{"id":"chatcmpl-1","object":"chat.completion","choices":[]}`, "without an event stream"},
	} {
		up := providertest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write([]byte(tt.body))
		})
		c := newClient(t, "openai", up.URL, "k")
		st, err := c.ChatStream(context.Background(), &llm.ChatRequest{Raw: []byte(`{"model":"a","stream":true,"messages":[]}`)}, "m")
		if st != nil {
			t.Errorf("got a stream")
		}
		e := providertest.AsLLMError(t, err)
		if e.Status != 502 || e.Code != llm.CodeUpstreamError || !e.Retryable || !strings.Contains(e.Message, tt.msg) {
			t.Errorf("got %s", providertest.Describe(err))
		}
	}
}

// TestStreamMislabeled: an event stream sent as application/json is still relayed.
func TestStreamMislabeled(t *testing.T) {
	transcript := providertest.ReadFile(t, "testdata/streams/ollama.sse")
	up := providertest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("\n"))
		_, _ = w.Write(transcript)
	})
	st, err := newClient(t, "openai_compatible", up.URL, "").ChatStream(context.Background(), chatReq(), "m")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, got, _ := providertest.Drain(t, st)
	if want := providertest.ReadFile(t, "testdata/streams/ollama.golden"); !bytes.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// Streams of one client share read buffers: a finished stream's buffer serves the next stream
// whole, and the finished stream reads nothing more.
func TestStreamBufferReuse(t *testing.T) {
	transcripts := [][]byte{
		[]byte("data: {\"id\":\"a\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"first " + strings.Repeat("a", 5000) + "\"}}]}\n\ndata: [DONE]\n\n"),
		[]byte("data: {\"id\":\"b\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"second\"}}]}\n\ndata: [DONE]\n\n"),
	}
	var n atomic.Int64 // counted as a request arrives: the client may send the next one before this handler returns
	up := providertest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		providertest.Replay(sseType, transcripts[(n.Add(1)-1)%2], 1<<20)(w, r)
	})
	c := newClient(t, "openai", up.URL+"/v1", "sk-test")
	req := &llm.ChatRequest{Model: "alias", Stream: true,
		Raw: []byte(`{"model":"alias","stream":true,"messages":[{"role":"user","content":"hi"}]}`)}
	for i, want := range []string{"first", "second", "first", "second"} {
		st, err := c.ChatStream(context.Background(), req, "gpt-4o")
		if err != nil {
			t.Fatal(err)
		}
		chunks, _, end := providertest.Drain(t, st)
		if end != io.EOF || len(chunks) != 1 || !strings.Contains(string(chunks[0]), `"content":"`+want) {
			t.Fatalf("stream %d: %q, %v", i, chunks, end)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		if chunk, err := st.Next(); err != io.EOF || chunk != nil {
			t.Fatalf("Next after the end: %q, %v", chunk, err)
		}
	}
}

// TestStreamSkipsMalformedEvents: an event that is not a JSON object is passed over and
// counted (the transcripts of TestStreamSemantics too); the stream goes on.
func TestStreamSkipsMalformedEvents(t *testing.T) {
	body := "data: {\"id\":\"a\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\ndata: {oops\n\n" +
		"data: {\"id\":\"a\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
	st := NewStream("openai", io.NopCloser(strings.NewReader(body)))
	if chunks, _, end := providertest.Drain(t, st); len(chunks) != 2 || end != io.EOF || st.Skipped() != 1 {
		t.Errorf("%d chunks, end %v, %d skipped", len(chunks), end, st.Skipped())
	}
}

func BenchmarkStream(b *testing.B) {
	providertest.BenchStream(b, "tool_calls_parallel", func(body io.ReadCloser) llm.ChunkStream { return NewStream("openai", body) })
}

// BenchmarkResponsesStream reads a Responses event stream as OpenAI sends it: a short text
// answer, whose response.created, .in_progress and .completed events carry the response
// object (with its "error": null).
func BenchmarkResponsesStream(b *testing.B) {
	resp := func(status, output, usage string) string {
		return `{"id":"resp_1","object":"response","created_at":1700000000,"status":"` + status + `","error":null,"incomplete_details":null,` +
			`"instructions":"` + strings.Repeat("You are a concise assistant. ", 18) + `","model":"gpt-4o-mini","output":[` + output +
			`],"parallel_tool_calls":true,"store":true,"tool_choice":"auto","tools":[],"usage":` + usage + `}`
	}
	item := `{"id":"msg_1","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Hello from the fake upstream!"}],"role":"assistant"}`
	var body strings.Builder
	seq := 0
	event := func(typ, rest string) {
		fmt.Fprintf(&body, "event: %s\ndata: {\"type\":%q,\"sequence_number\":%d,%s}\n\n", typ, typ, seq, rest)
		seq++
	}
	event("response.created", `"response":`+resp("in_progress", "", "null"))
	event("response.in_progress", `"response":`+resp("in_progress", "", "null"))
	event("response.output_item.added", `"output_index":0,"item":{"id":"msg_1","type":"message","status":"in_progress","content":[],"role":"assistant"}`)
	for _, w := range strings.SplitAfter("Hello from the fake upstream!", " ") {
		event("response.output_text.delta", `"item_id":"msg_1","output_index":0,"content_index":0,"delta":"`+w+`","logprobs":[]`)
	}
	event("response.output_item.done", `"output_index":0,"item":`+item)
	event("response.completed", `"response":`+resp("completed", item, `{"input_tokens":10,"output_tokens":5,"total_tokens":15}`))
	data := body.String()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		st := newResponsesStream(NewStream("openai", io.NopCloser(strings.NewReader(data))))
		for {
			if _, err := st.Next(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
		}
	}
}

// A Responses stream ends at its terminal event, without reading on, and gives its event
// reader back to the client's pool like a chat stream ending at [DONE].
func TestResponsesStreamEndsAtTerminalEvent(t *testing.T) {
	body := "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\"}}\n\n" +
		"event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":1,\"response\":{\"id\":\"resp_1\",\"status\":\"completed\"}}\n\n" +
		"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":2,\"delta\":\"after the end\"}\n\n"
	up := providertest.NewUpstream(t, providertest.Replay(sseType, []byte(body), 1<<20))
	c := &ResponsesClient{Client: newClient(t, "openai", up.URL+"/v1", "sk-test")}
	for i := range 2 {
		st, err := c.ResponsesStream(context.Background(), []byte(`{"model":"alias","stream":true,"input":"hi"}`), "gpt-4o")
		if err != nil {
			t.Fatal(err)
		}
		chunks, _, end := providertest.Drain(t, st)
		if end != io.EOF || len(chunks) != 2 || !strings.Contains(string(chunks[1]), `"response.completed"`) {
			t.Fatalf("stream %d: %q, %v", i, chunks, end)
		}
		if b := st.(*responsesStream).bufs; b != nil {
			t.Errorf("stream %d kept its event reader after its end", i)
		}
		if chunk, err := st.Next(); err != io.EOF || chunk != nil {
			t.Fatalf("Next after the end: %q, %v", chunk, err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// A stream closed after its end keeps its connection for the next request, even when the
// end of the body comes after the end marker was read.
func TestStreamKeepsConnection(t *testing.T) {
	chat := "data: {\"id\":\"a\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
	responses := "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\"}}\n\n" +
		"event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":1,\"response\":{\"id\":\"resp_1\",\"status\":\"completed\"}}\n\n"
	t.Run("chat", func(t *testing.T) {
		providertest.KeepsConnection(t, sseType, []byte(chat), func(url string) (llm.ChunkStream, error) {
			return newClient(t, "openai", url+"/v1", "sk-test").ChatStream(context.Background(), &llm.ChatRequest{Model: "alias", Stream: true,
				Raw: []byte(`{"model":"alias","stream":true,"messages":[{"role":"user","content":"hi"}]}`)}, "gpt-4o")
		})
	})
	t.Run("responses", func(t *testing.T) {
		providertest.KeepsConnection(t, sseType, []byte(responses), func(url string) (llm.ChunkStream, error) {
			c := &ResponsesClient{Client: newClient(t, "openai", url+"/v1", "sk-test")}
			return c.ResponsesStream(context.Background(), []byte(`{"model":"alias","stream":true,"input":"hi"}`), "gpt-4o")
		})
	})
}
