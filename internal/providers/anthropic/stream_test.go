package anthropic

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conduit-gw/conduit/internal/providers/providertest"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

// streamCase opens a stream of testdata/streams/<name>.sse written in pieces.
func streamCase(t *testing.T, name string, piece int) llm.ChunkStream {
	t.Helper()
	up := providertest.NewUpstream(t, providertest.Replay(sseType, providertest.ReadFile(t, filepath.Join("testdata/streams", name+".sse")), piece))
	c := newClient(t, up.URL)
	body := `{"model":"alias","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	if strings.HasPrefix(name, "json_") {
		body = `{"model":"alias","stream":true,"response_format":{"type":"json_object"},"messages":[{"role":"user","content":"hi"}]}`
	}
	st, err := c.ChatStream(context.Background(), providertest.ChatRequest(t, []byte(body)), "claude")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// TestStreamTranscripts replays testdata/streams/<case>.sse (recorded Anthropic event streams)
// and pins the sequence of OpenAI chunks and the final result in <case>.golden.
func TestStreamTranscripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/streams/*.sse")
	if len(files) < 10 {
		t.Fatalf("only %d transcripts", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sse")
		t.Run(name, func(t *testing.T) {
			var want []byte
			for _, piece := range []int{1 << 20, 7, 1} {
				_, got, _ := providertest.Drain(t, streamCase(t, name, piece))
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
	type summary struct {
		content string
		args    map[int]string // tool call index → concatenated arguments
		ids     map[int]string
		names   map[int]string
		finish  []string
		usage   string // the last chunk's usage, when it has no choices
	}
	summarize := func(t *testing.T, chunks [][]byte) summary {
		s := summary{args: map[int]string{}, ids: map[int]string{}, names: map[int]string{}}
		for i, c := range chunks {
			r := gjson.ParseBytes(c)
			if r.Get("object").Str != "chat.completion.chunk" || r.Get("created").Int() != testCreated {
				t.Errorf("chunk %d: %s", i, c)
			}
			if i == 0 && (r.Get("choices.0.delta.role").Str != "assistant" || r.Get("choices.0.delta.content").Raw != `""`) {
				t.Errorf("first chunk is not the role chunk: %s", c)
			}
			if i > 0 && r.Get("choices.0.delta.role").Exists() {
				t.Errorf("role repeated in chunk %d: %s", i, c)
			}
			s.content += r.Get("choices.0.delta.content").Str
			r.Get("choices.0.delta.tool_calls").ForEach(func(_, tc gjson.Result) bool {
				n := int(tc.Get("index").Int())
				s.args[n] += tc.Get("function.arguments").Str
				if id := tc.Get("id").Str; id != "" {
					s.ids[n] = id
					s.names[n] = tc.Get("function.name").Str
				}
				return true
			})
			if f := r.Get("choices.0.finish_reason"); f.Type == gjson.String {
				s.finish = append(s.finish, f.Str)
			}
			if i == len(chunks)-1 && r.Get("choices").Raw == "[]" {
				s.usage = r.Get("usage").Raw
			}
		}
		return s
	}
	for _, tt := range []struct {
		name    string
		end     string // providertest.Describe() prefix
		first   bool   // the error comes before any chunk (the gateway may retry it elsewhere)
		skipped int    // malformed events passed over
		check   func(t *testing.T, s summary)
	}{
		{name: "text", end: "io.EOF", check: func(t *testing.T, s summary) {
			if s.content != "Hello, wörld! 👋\nBye." || len(s.finish) != 1 || s.finish[0] != "stop" ||
				s.usage != `{"prompt_tokens":25,"completion_tokens":15,"total_tokens":40,"prompt_tokens_details":{"cached_tokens":0}}` {
				t.Errorf("%+v", s)
			}
		}},
		{name: "tool_use", end: "io.EOF", check: func(t *testing.T, s summary) {
			if s.content != "Let me check the weather." || s.ids[0] != "toolu_01T1x1fJ34qAmk2tNTrN7Up6" || s.names[0] != "get_weather" ||
				s.args[0] != `{"location": "San Francisco, CA", "unit": "fahrenheit"}` || s.finish[0] != "tool_calls" {
				t.Errorf("%+v", s)
			}
		}},
		{name: "parallel_tools", end: "io.EOF", check: func(t *testing.T, s summary) {
			if len(s.ids) != 2 || s.ids[0] != "toolu_01A" || s.ids[1] != "toolu_01B" ||
				s.args[0] != `{"location": "Paris"}` || s.args[1] != `{"tz": "Europe/Paris"}` || s.content != "" {
				t.Errorf("%+v", s)
			}
		}},
		{name: "thinking_cache", end: "io.EOF", check: func(t *testing.T, s summary) {
			if s.content != "4" || s.finish[0] != "length" ||
				s.usage != `{"prompt_tokens":2168,"completion_tokens":42,"total_tokens":2210,"prompt_tokens_details":{"cached_tokens":2048}}` {
				t.Errorf("%+v", s)
			}
		}},
		{name: "json_mode", end: "io.EOF", check: func(t *testing.T, s summary) {
			if s.content != `{"city": "Paris", "population": 2102650}` || len(s.ids) != 0 || s.finish[0] != "stop" {
				t.Errorf("%+v", s)
			}
		}},
		{name: "refusal", end: "io.EOF", check: func(t *testing.T, s summary) {
			if s.finish[0] != "content_filter" || s.usage == "" {
				t.Errorf("%+v", s)
			}
		}},
		{name: "crlf_nonames", end: "io.EOF", check: func(t *testing.T, s summary) {
			if s.content != "Hi there" || s.finish[0] != "stop" || s.usage == "" {
				t.Errorf("%+v", s)
			}
		}},
		{name: "error_midstream", end: `*llm.Error status=502 type=upstream_error code=upstream_error retryable=false retry_after=0s message="anthropic: Overloaded"`},
		{name: "error_first", end: `*llm.Error status=502 type=upstream_error code=upstream_error retryable=false retry_after=0s message="anthropic: Overloaded"`, first: true},
		// The stop reason came, message_stop did not: complete, with its usage.
		{name: "no_message_stop", end: "io.EOF", check: func(t *testing.T, s summary) {
			if s.content != "Half a" || len(s.finish) != 1 || s.finish[0] != "stop" ||
				s.usage != `{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":0}}` {
				t.Errorf("%+v", s)
			}
		}},
		{name: "cut_mid_event", end: `*llm.Error status=502`, skipped: 1}, // the cut event counts as malformed
		{name: "empty", end: `*llm.Error status=502 type=upstream_error code=upstream_error retryable=false retry_after=0s message="anthropic stream ended unexpectedly"`, first: true},
		// One event whose JSON is cut short, in an otherwise complete stream: skipped.
		{name: "malformed", end: "io.EOF", skipped: 1, check: func(t *testing.T, s summary) {
			if s.content != "Hello, wörld! 👋\nBye." || len(s.finish) != 1 || s.usage == "" {
				t.Errorf("%+v", s)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := streamCase(t, tt.name, 1<<20)
			chunks, _, end := providertest.Drain(t, st)
			if n := st.(interface{ Skipped() int }).Skipped(); n != tt.skipped {
				t.Errorf("%d malformed events skipped, want %d", n, tt.skipped)
			}
			if !strings.HasPrefix(providertest.Describe(end), tt.end) {
				t.Errorf("end = %s, want %s", providertest.Describe(end), tt.end)
			}
			if tt.end != "io.EOF" {
				if tt.first != (len(chunks) == 0) {
					t.Errorf("%d chunks before the error, want first=%v", len(chunks), tt.first)
				}
				for _, c := range chunks {
					// A broken stream must never look complete: the usage chunk only follows
					// message_stop.
					if gjson.GetBytes(c, "usage").Exists() {
						t.Errorf("usage chunk before an error: %s", c)
					}
				}
				return
			}
			s := summarize(t, chunks)
			if s.usage == "" {
				t.Error("no final usage chunk")
			}
			tt.check(t, s)
		})
	}
}

// TestStreamJSONErrorBody covers a stream request answered with a JSON body.
func TestStreamJSONErrorBody(t *testing.T) {
	for body, want := range map[string]string{
		`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`: `message="anthropic: Overloaded"`,
		`{"id":"msg_1","type":"message","content":[]}`:                                `without an event stream`,
	} {
		up := providertest.NewUpstream(t, serveJSON(http.StatusOK, []byte(body)))
		c := newClient(t, up.URL)
		_, err := c.ChatStream(context.Background(), providertest.ChatRequest(t, []byte(`{"model":"a","stream":true,"messages":[{"role":"user","content":"hi"}]}`)), "claude")
		if e := providertest.AsLLMError(t, err); !e.Retryable || !strings.Contains(providertest.Describe(err), want) {
			t.Errorf("%s: %s", body, providertest.Describe(err))
		}
	}
}

// TestStreamClose checks that Close releases the body and ends a blocked read.
func TestStreamClose(t *testing.T) {
	pr, pw := io.Pipe()
	st := NewStream(pr, "", 1)
	go func() {
		_, _ = pw.Write([]byte("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\"}}\n\n"))
	}()
	done := make(chan error, 1)
	go func() { _, err := st.Next(); done <- err }()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Error("Next after Close returned no error")
	}
}

func BenchmarkStream(b *testing.B) {
	providertest.BenchStream(b, "parallel_tools", func(body io.ReadCloser) llm.ChunkStream { return NewStream(body, "", 1) })
}

// A stream closed after message_stop keeps its connection for the next request, translated
// or native, even when the end of the body comes after message_stop was read.
func TestStreamKeepsConnection(t *testing.T) {
	events := providertest.ReadFile(t, "testdata/streams/text.sse")
	body := []byte(`{"model":"alias","stream":true,"max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`)
	t.Run("translated", func(t *testing.T) {
		providertest.KeepsConnection(t, sseType, events, func(url string) (llm.ChunkStream, error) {
			return newClient(t, url).ChatStream(context.Background(), providertest.ChatRequest(t, body), "claude")
		})
	})
	t.Run("native", func(t *testing.T) {
		providertest.KeepsConnection(t, sseType, events, func(url string) (llm.ChunkStream, error) {
			return newClient(t, url).MessagesStream(context.Background(), body, "claude", nil)
		})
	})
}
