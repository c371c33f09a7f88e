package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers/openai"
)

// sse renders chunks as an OpenAI event stream; done adds the end marker.
func sse(chunks []string, done bool) []byte {
	var b bytes.Buffer
	for _, c := range chunks {
		b.WriteString("data: " + c + "\n\n")
	}
	if done {
		b.WriteString("data: [DONE]\n\n")
	}
	return b.Bytes()
}

func textChunk(id, content string) string {
	b, _ := json.Marshal(content)
	return `{"id":"` + id + `","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":` + string(b) + `},"finish_reason":null}]}`
}

const roleChunk = `{"id":"%s","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"finish_reason":null}]}`

// transcripts returns a cut stream (its first n words) and the continuation of words, each as
// the upstream sends it.
func transcripts(words []string, n int) (cut, cont []byte) {
	first := []string{fmt.Sprintf(roleChunk, "chatcmpl-a")}
	for _, w := range words[:n] {
		first = append(first, textChunk("chatcmpl-a", w))
	}
	rest := []string{fmt.Sprintf(roleChunk, "chatcmpl-b")}
	for _, w := range words[n:] {
		rest = append(rest, textChunk("chatcmpl-b", w))
	}
	rest = append(rest,
		`{"id":"chatcmpl-b","object":"chat.completion.chunk","created":2,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
		`{"id":"chatcmpl-b","object":"chat.completion.chunk","created":2,"model":"m","choices":[],"usage":{"prompt_tokens":40,"completion_tokens":`+fmt.Sprint(len(words)-n)+`,"total_tokens":99,"prompt_tokens_details":{"cached_tokens":30}}}`)
	return sse(first, false), sse(rest, true)
}

// pieces reads b in pieces that end at each of the cuts.
type pieces struct {
	b    []byte
	cuts []int
	off  int
}

func (p *pieces) Read(out []byte) (int, error) {
	if p.off >= len(p.b) {
		return 0, io.EOF
	}
	end := len(p.b)
	for _, c := range p.cuts {
		if c > p.off && c < end {
			end = c
		}
	}
	n := copy(out, p.b[p.off:end])
	p.off += n
	return n, nil
}

// clientSees relays the cut stream and its continuation the way the gateway does: the cut
// stream's chunks as they are, then the continuation's spliced. It returns the chunks the
// client received.
func clientSees(t *testing.T, cut, cont []byte, cutAt, contAt []int) [][]byte {
	t.Helper()
	var (
		got [][]byte
		so  soFar
	)
	st := openai.NewStream("up", io.NopCloser(&pieces{b: cut, cuts: cutAt}))
	for {
		c, err := st.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				t.Fatal("the cut stream ended cleanly")
			}
			break
		}
		so.note(c)
		got = append(got, bytes.Clone(c))
	}
	if !so.continuable() {
		t.Fatal("a text answer is continuable")
	}
	sp := newSplicer(&so, 7, len(got)-1)
	st = openai.NewStream("up", io.NopCloser(&pieces{b: cont, cuts: contAt}))
	for {
		c, err := st.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("continuation: %v", err)
		}
		if out, ok := sp.splice(bytes.Clone(c)); ok {
			got = append(got, out)
		}
	}
	return got
}

// checkOneAnswer: the client's chunks read as one answer with the whole text.
func checkOneAnswer(t *testing.T, got [][]byte, words []string) {
	t.Helper()
	var text strings.Builder
	roles, finishes := 0, 0
	for _, c := range got {
		if id := gjson.GetBytes(c, "id").Str; id != "chatcmpl-a" {
			t.Fatalf("chunk with id %q: %s", id, c)
		}
		text.WriteString(gjson.GetBytes(c, "choices.0.delta.content").Str)
		if gjson.GetBytes(c, "choices.0.delta.role").Exists() {
			roles++
		}
		if gjson.GetBytes(c, "choices.0.finish_reason").Str != "" {
			finishes++
		}
	}
	if text.String() != strings.Join(words, "") || roles != 1 || finishes != 1 {
		t.Fatalf("text %q, %d role announcements, %d finish reasons", text.String(), roles, finishes)
	}
	u := llm.ParseUsage(got[len(got)-1])
	if u.PromptTokens != 7 || u.CompletionTokens != len(words) || u.TotalTokens != 7+len(words) {
		t.Fatalf("usage of the whole %+v, want 7 + %d", u, len(words))
	}
	if d := gjson.GetBytes(got[len(got)-1], "usage.prompt_tokens_details"); d.Exists() {
		t.Fatalf("the continuation's own prompt details reached the client: %s", d.Raw)
	}
}

var spliceWords = strings.SplitAfter("The quick brown fox jumps over the lazy dog, then naps in the sun. \"Done\" — fin.", " ")

// TestSpliceEveryByteBoundary: wherever the upstreams' bytes are split in transit, the client
// receives one answer.
func TestSpliceEveryByteBoundary(t *testing.T) {
	cut, cont := transcripts(spliceWords, 6)
	for i := 0; i <= len(cut); i++ {
		checkOneAnswer(t, clientSees(t, cut, cont, []int{i}, nil), spliceWords)
	}
	for i := 0; i <= len(cont); i++ {
		checkOneAnswer(t, clientSees(t, cut, cont, nil, []int{i}), spliceWords)
	}
}

func FuzzSplice(f *testing.F) {
	f.Add(uint8(3), uint16(10), uint16(200), uint16(5), uint16(90))
	f.Add(uint8(1), uint16(0), uint16(1), uint16(0), uint16(1))
	f.Fuzz(func(t *testing.T, n uint8, a, b, c, d uint16) {
		k := 1 + int(n)%(len(spliceWords)-1)
		cut, cont := transcripts(spliceWords, k)
		checkOneAnswer(t, clientSees(t, cut, cont, []int{int(a), int(b)}, []int{int(c), int(d)}), spliceWords)
	})
}

func TestSoFarToolCalls(t *testing.T) {
	var so soFar
	so.note([]byte(`{"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get","arguments":""}}]}}]}`))
	so.note([]byte(`{"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":"}}]}}]}`))
	if so.continuable() {
		t.Fatal("a cut inside a tool call's arguments is continuable")
	}
	so.note([]byte(`{"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]}}]}`))
	if !so.continuable() {
		t.Fatal("a cut between tool calls is not continuable")
	}
	req, err := so.continuation(&llm.ChatRequest{Raw: []byte(`{"model":"a","messages":[{"role":"user","content":"hi"}],"stream":true}`)}, 5)
	if err != nil {
		t.Fatal(err)
	}
	last := gjson.GetBytes(req.Raw, "messages.1")
	if last.Get("role").Str != "assistant" || last.Get("tool_calls.0.function.arguments").Str != `{"a":1}` ||
		last.Get("tool_calls.0.id").Str != "call_1" || gjson.GetBytes(req.Raw, "messages.#").Int() != 2 {
		t.Fatalf("continuation request %s", req.Raw)
	}
	sp := newSplicer(&so, 1, 1)
	out, ok := sp.splice([]byte(`{"id":"y","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_2","function":{"name":"put","arguments":"{}"}}]}}]}`))
	if !ok || gjson.GetBytes(out, "choices.0.delta.tool_calls.0.index").Int() != 1 || gjson.GetBytes(out, "id").Str != "x" {
		t.Fatalf("spliced %s", out)
	}
}

func TestContinuationRequest(t *testing.T) {
	var so soFar
	so.note([]byte(textChunk("x", "Hello, ")))
	so.note([]byte(textChunk("x", "wor")))
	tests := []struct {
		name      string
		limits    string // output limit fields of the request
		delivered int
		want      string // those fields in the continuation ("" = none)
	}{
		{"no limit", ``, 3, ``},
		{"max_tokens lowered by what was delivered", `,"max_tokens":100`, 3, `97`},
		{"max_completion_tokens too", `,"max_completion_tokens":50`, 20, `30`},
		{"a spent limit leaves one token", `,"max_tokens":3`, 3, `1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := `{"model":"a","messages":[{"role":"system","content":"s"},{"role":"user","content":"hi"}],"stream":true,"temperature":0` + tt.limits + `}`
			req, err := so.continuation(&llm.ChatRequest{Raw: []byte(raw)}, tt.delivered)
			if err != nil {
				t.Fatal(err)
			}
			if m := gjson.GetBytes(req.Raw, "messages.2"); m.Get("role").Str != "assistant" || m.Get("content").Str != "Hello, wor" ||
				gjson.GetBytes(req.Raw, "temperature").Raw != "0" || !req.Stream {
				t.Fatalf("continuation request %s", req.Raw)
			}
			got := gjson.GetBytes(req.Raw, "max_tokens").Raw + gjson.GetBytes(req.Raw, "max_completion_tokens").Raw
			if got != tt.want {
				t.Fatalf("output limit %q, want %q: %s", got, tt.want, req.Raw)
			}
		})
	}
}
