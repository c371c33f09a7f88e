package gateway

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/keys"
	"github.com/conduit-gw/conduit/internal/limits"
	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/snapshot"
	"github.com/conduit-gw/conduit/internal/usage"
)

type fixed struct{ s *snapshot.Snapshot }

func (f fixed) Load() *snapshot.Snapshot { return f.s }

type nopLog struct{}

func (nopLog) Enqueue(usage.Record) bool { return true }

// chatJSON is a ~1 KB non-streamed chat request like the load benchmark sends.
func chatJSON() []byte {
	b, _ := json.Marshal(map[string]any{
		"model": "bench",
		"messages": []map[string]any{
			{"role": "system", "content": strings.Repeat("You are a concise assistant that answers in plain English. ", 9)},
			{"role": "user", "content": strings.Repeat("Summarise the benefits of a gateway. ", 10)},
		},
		"temperature": 0.2, "max_tokens": 64,
	})
	return b
}

func BenchmarkAuthenticate(b *testing.B) {
	s := &snapshot.Snapshot{Keys: map[[32]byte]*snapshot.Key{}, KeysByID: map[string]*snapshot.Key{}}
	var token string
	for i := 0; i < 10_000; i++ {
		k := keys.Generate()
		sk := snapshot.NewKey(config.Key{ID: fmt.Sprint(i), Enabled: true})
		s.Keys[keys.Hash(k)] = sk
		token = k
	}
	g := New(Options{Config: fixed{s}, Usage: nopLog{}, MasterKey: "master"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Authenticate(b.Context(), token); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeChatRequest(b *testing.B) {
	body := chatJSON()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var req llm.ChatRequest
		if err := json.Unmarshal(body, &req); err != nil {
			b.Fatal(err)
		}
		if err := req.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSetModel(b *testing.B) {
	resp := []byte(`{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the fake upstream!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}`)
	b.ReportAllocs()
	for b.Loop() {
		buf := append([]byte(nil), resp...)
		_ = setModel(buf, "bench")
	}
}

func BenchmarkParseUsage(b *testing.B) {
	chunk := []byte(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}`)
	b.ReportAllocs()
	for b.Loop() {
		if u := llm.ParseUsage(chunk); u.TotalTokens != 15 {
			b.Fatal(u)
		}
	}
}

func BenchmarkStreamChunk(b *testing.B) {
	// Per relayed chunk: the usage check, the text tally for estimation, the model rewrite.
	chunk := []byte(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hello "},"finish_reason":null}]}`)
	var text strings.Builder
	b.ReportAllocs()
	for b.Loop() {
		buf := append([]byte(nil), chunk...)
		ci := inspectChunk(buf)
		appendText(buf, &text)
		if !ci.choices {
			b.Fatal("no choices")
		}
		_ = setModelAt(buf, ci.model, "bench")
		if text.Len() > 1<<20 {
			text.Reset()
		}
	}
}

func BenchmarkLimitsAdmitFinish(b *testing.B) {
	t := limits.NewTracker(time.Now)
	rpm, budget := 1_000_000_000, 1e9
	k := config.Key{ID: "k", RPM: &rpm, MaxBudget: &budget, BudgetDuration: config.BudgetDaily}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := t.Admit(b.Context(), k, 256, 0.0001); err != nil {
			b.Fatal(err)
		}
		t.Finish(b.Context(), k, 256, 300, 0.0001)
	}
}

func BenchmarkUsageEnqueue(b *testing.B) {
	w := usage.NewWriter(discardSink{}, usage.WriterOptions{QueueSize: 1 << 16})
	defer w.Close(b.Context())
	r := usage.Record{ID: "req_x", Alias: "bench", Status: 200, PromptTokens: 10, CompletionTokens: 5}
	b.ReportAllocs()
	for b.Loop() {
		w.Enqueue(r)
	}
}

func BenchmarkChatStreamTake(b *testing.B) {
	// Per relayed chunk through the chat format: inspection, usage, model naming, keeping it.
	chunk := []byte(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hello "},"finish_reason":null}]}`)
	f := (&Gateway{}).newChatStream(&llm.ChatRequest{Model: "bench"})
	f.name("bench")
	benchTake(b, f, chunk)
}

// benchTake measures f taking chunk, each time afresh in the stream's buffer.
func benchTake(b *testing.B, f streamFormat, chunk []byte) {
	buf := make([]byte, len(chunk))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		var sent delivered
		copy(buf, chunk)
		if _, ok := f.take(buf, &sent); !ok {
			b.Fatal("chunk not taken")
		}
		if rl, ok := f.(releaser); ok && i%64 == 63 { // a new answer: the kept chunks go
			rl.release()
		}
	}
}

// benchAnswer is a streamed answer of five words as an upstream sends it: role, content,
// finish reason and usage chunks. sorted has the keys in alphabetical order (as an upstream
// that encodes maps writes them), otherwise they are in OpenAI's.
func benchAnswer(sorted bool) [][]byte {
	chunk := func(choices, usage string) []byte {
		if sorted {
			return []byte(`{"choices":[` + choices + `],"created":1700000000,"id":"chatcmpl-fake1","model":"gpt-4o-mini","object":"chat.completion.chunk","system_fingerprint":"fp_fake"` + usage + `}`)
		}
		return []byte(`{"id":"chatcmpl-fake1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","system_fingerprint":"fp_fake","choices":[` + choices + `]` + usage + `}`)
	}
	delta := func(d, finish string) string {
		return `{"delta":` + d + `,"finish_reason":` + finish + `,"index":0,"logprobs":null}`
	}
	out := [][]byte{chunk(delta(`{"content":"","refusal":null,"role":"assistant"}`, "null"), "")}
	for _, w := range strings.SplitAfter("Hello from the fake upstream!", " ") {
		out = append(out, chunk(delta(`{"content":"`+w+`"}`, "null"), ""))
	}
	out = append(out, chunk(delta(`{}`, `"stop"`), ""),
		chunk("", `,"usage":{"completion_tokens":5,"prompt_tokens":180,"total_tokens":185}`))
	return out
}

func BenchmarkChatStreamAnswer(b *testing.B) {
	// Per streamed answer through the chat format, as the load benchmark's upstream sends it.
	for _, sorted := range []bool{false, true} {
		b.Run(fmt.Sprintf("sorted=%v", sorted), func(b *testing.B) {
			chunks := benchAnswer(sorted)
			bufs := make([][]byte, len(chunks))
			for i := range chunks {
				bufs[i] = make([]byte, len(chunks[i]))
			}
			g := &Gateway{}
			req := &llm.ChatRequest{Model: "bench"}
			b.ReportAllocs()
			for b.Loop() {
				f := g.newChatStream(req)
				f.name("bench")
				var sent delivered
				for i, c := range chunks {
					copy(bufs[i], c)
					f.take(bufs[i], &sent)
				}
				if !sent.gotUsage || !f.finished {
					b.Fatal("the answer did not end")
				}
				f.release()
			}
		})
	}
}

func BenchmarkNativeStreamTake(b *testing.B) {
	// Per relayed event of a native Responses stream: a delta, and the terminal event whose
	// response names the upstream's model and carries the usage.
	delta := []byte(`{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hello ","logprobs":[],"sequence_number":5}`)
	done := []byte(`{"type":"response.completed","response":{"id":"resp_1","object":"response","created_at":1,"status":"completed","model":"gpt-4o-mini",` +
		`"output":[],"usage":{"input_tokens":10,"output_tokens":5,"total_tokens":15}},"sequence_number":9}`)
	for _, ev := range []struct {
		name string
		data []byte
	}{{"delta", delta}, {"completed", done}} {
		b.Run(ev.name, func(b *testing.B) {
			f := &nativeStream{req: &NativeRequest{API: APIResponses}}
			f.name("bench")
			benchTake(b, f, ev.data)
		})
	}
}
