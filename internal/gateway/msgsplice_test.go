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
	ssewire "github.com/conduit-gw/conduit/internal/sse"
)

// anthropicSSE renders events as Anthropic names them: "event: <type>" and the data.
func anthropicSSE(events []string) []byte {
	var b bytes.Buffer
	for _, e := range events {
		b.WriteString("event: " + gjson.Get(e, "type").Str + "\ndata: " + e + "\n\n")
	}
	return b.Bytes()
}

func textDelta(index int, text string) string {
	b, _ := json.Marshal(text)
	return fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"text_delta","text":%s}}`, index, b)
}

func messageStart(id string, input int) string {
	return `{"type":"message_start","message":{"id":"` + id + `","type":"message","role":"assistant","model":"claude","content":[],` +
		`"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":` + fmt.Sprint(input) + `,"output_tokens":1}}}`
}

const textStart = `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`

// messagesTranscripts returns a Messages stream cut inside its text block after n words, and
// the continuation an upstream gives for the prefill (the text delivered, its trailing space
// trimmed): the rest of the text, from that space on.
func messagesTranscripts(words []string, n int) (cut, cont []byte) {
	first := []string{messageStart("msg_a", 7), `{"type":"ping"}`, textStart}
	for _, w := range words[:n] {
		first = append(first, textDelta(0, w))
	}
	whole := strings.Join(words, "")
	prefill := strings.TrimRight(strings.Join(words[:n], ""), " ")
	rest := []string{messageStart("msg_b", 40), textStart}
	for _, w := range strings.SplitAfter(whole[len(prefill):], " ") {
		rest = append(rest, textDelta(0, w))
	}
	rest = append(rest, `{"type":"content_block_stop","index":0}`,
		`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":`+fmt.Sprint(len(words)-n)+`}}`,
		`{"type":"message_stop"}`)
	return anthropicSSE(first), anthropicSSE(rest)
}

// readEvents reads an Anthropic event stream split in transit at cuts, as the native stream
// does: each event's data.
func readEvents(t *testing.T, b []byte, cuts []int, each func([]byte)) {
	t.Helper()
	r := ssewire.NewReader(&pieces{b: b, cuts: cuts})
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if data := bytes.TrimSpace(ev.Data); len(data) > 0 {
			each(bytes.Clone(data))
		}
	}
}

// messagesClientSees relays the cut stream and its continuation the way the gateway does, and
// returns the events the client received and the continuation request made of raw.
func messagesClientSees(t *testing.T, cut, cont []byte, cutAt, contAt []int, raw []byte) (got [][]byte, creq []byte) {
	t.Helper()
	f := &messagesStream{nativeStream: &nativeStream{req: &NativeRequest{API: APIMessages}, alias: "claude"}, keep: true}
	var sent delivered
	deliver := func(ev []byte) {
		if out, ok := f.take(ev, &sent); ok {
			got = append(got, bytes.Clone(out))
		}
	}
	readEvents(t, cut, cutAt, deliver)
	so := readMessage(f.log)
	if !so.continuable() {
		t.Fatal("a text message cut inside its text is continuable")
	}
	before := 3
	creq, trimmed, err := so.continuation(raw, before)
	if err != nil {
		t.Fatal(err)
	}
	f.spl = so.splicer(trimmed, before)
	f.write = func(ev []byte) error { got = append(got, bytes.Clone(ev)); return nil }
	readEvents(t, cont, contAt, deliver)
	return got, creq
}

// checkOneMessage: the client's events read as one message with the whole text.
func checkOneMessage(t *testing.T, got [][]byte, words []string, before int) {
	t.Helper()
	var text strings.Builder
	count := map[string]int{}
	for _, ev := range got {
		e := gjson.ParseBytes(ev)
		typ := e.Get("type").Str
		count[typ]++
		if i := e.Get("index"); i.Exists() && i.Int() != 0 {
			t.Fatalf("event at index %d: %s", i.Int(), ev)
		}
		switch typ {
		case "message_start":
			if e.Get("message.id").Str != "msg_a" {
				t.Fatalf("message_start %s", ev)
			}
		case "content_block_delta":
			text.WriteString(e.Get("delta.text").Str)
		case "message_delta":
			if out := e.Get("usage.output_tokens").Int(); out != int64(before+len(words)-6) {
				t.Fatalf("output tokens %d: not those of the whole message", out)
			}
		}
	}
	if text.String() != strings.Join(words, "") {
		t.Fatalf("text %q", text.String())
	}
	for typ, want := range map[string]int{"message_start": 1, "content_block_start": 1, "content_block_stop": 1, "message_delta": 1, "message_stop": 1} {
		if count[typ] != want {
			t.Fatalf("%d %s events, want %d", count[typ], typ, want)
		}
	}
}

const messagesRaw = `{"model":"claude","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}`

// TestMessagesSpliceEveryByteBoundary: wherever the upstreams' bytes are split in transit,
// the client receives one message, and the continuation carries the text delivered.
func TestMessagesSpliceEveryByteBoundary(t *testing.T) {
	cut, cont := messagesTranscripts(spliceWords, 6)
	want := strings.TrimRight(strings.Join(spliceWords[:6], ""), " ")
	for i := 0; i <= len(cut); i++ {
		got, creq := messagesClientSees(t, cut, cont, []int{i}, nil, []byte(messagesRaw))
		checkOneMessage(t, got, spliceWords, 3)
		if p := gjson.GetBytes(creq, "messages.1"); p.Get("role").Str != "assistant" || p.Get("content.0.text").Str != want ||
			gjson.GetBytes(creq, "max_tokens").Int() != 97 {
			t.Fatalf("continuation request %s", creq)
		}
	}
	for i := 0; i <= len(cont); i++ {
		got, _ := messagesClientSees(t, cut, cont, nil, []int{i}, []byte(messagesRaw))
		checkOneMessage(t, got, spliceWords, 3)
	}
}

func FuzzMessagesSplice(f *testing.F) {
	f.Add(uint16(10), uint16(200), uint16(5), uint16(90))
	f.Add(uint16(0), uint16(1), uint16(0), uint16(1))
	f.Fuzz(func(t *testing.T, a, b, c, d uint16) {
		cut, cont := messagesTranscripts(spliceWords, 6)
		got, _ := messagesClientSees(t, cut, cont, []int{int(a), int(b)}, []int{int(c), int(d)}, []byte(messagesRaw))
		checkOneMessage(t, got, spliceWords, 3)
	})
}

const (
	toolStart = `{"type":"content_block_start","index":%d,"content_block":{"type":"tool_use","id":"toolu_%d","name":"get_weather","input":{}}}`
	toolDelta = `{"type":"content_block_delta","index":%d,"delta":{"type":"input_json_delta","partial_json":%q}}`
)

// TestMessagesSoFar: which cuts a prefill can carry on, and what the continuation asks.
func TestMessagesSoFar(t *testing.T) {
	tests := []struct {
		name        string
		events      []string
		continuable bool
		prefill     string // the continuation's trailing assistant message ("": none)
		base        int    // the client's index of the continuation's block 0
		join        bool
	}{
		{"nothing yet", []string{messageStart("m", 1)}, true, "", 0, false},
		{"inside text", []string{textStart, textDelta(0, "Hello "), textDelta(0, "world\n")}, true,
			`{"role":"assistant","content":[{"type":"text","text":"Hello world"}]}`, 0, true},
		{"between text and a tool", []string{textStart, textDelta(0, "Let me look."), string(blockStop(0))}, true,
			`{"role":"assistant","content":[{"type":"text","text":"Let me look."}]}`, 1, false},
		{"between tools", []string{fmt.Sprintf(toolStart, 0, 0), fmt.Sprintf(toolDelta, 0, `{"city"`), fmt.Sprintf(toolDelta, 0, `:"Paris"}`), string(blockStop(0))}, true,
			`{"role":"assistant","content":[{"type":"tool_use","id":"toolu_0","name":"get_weather","input":{"city":"Paris"}}]}`, 1, false},
		{"a tool with no input", []string{fmt.Sprintf(toolStart, 0, 0), string(blockStop(0))}, true,
			`{"role":"assistant","content":[{"type":"tool_use","id":"toolu_0","name":"get_weather","input":{}}]}`, 1, false},
		{"inside a tool's input", []string{fmt.Sprintf(toolStart, 0, 0), fmt.Sprintf(toolDelta, 0, `{"city"`)}, false, "", 0, false},
		{"inside a tool, input whole", []string{fmt.Sprintf(toolStart, 0, 0), fmt.Sprintf(toolDelta, 0, `{"city":"Paris"}`)}, false, "", 0, false},
		{"after thinking", []string{`{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}`,
			`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hm"}}`, string(blockStop(0))}, false, "", 0, false},
		{"citations", []string{textStart, `{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{}}}`}, false, "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log []byte
			for _, e := range tt.events {
				log = append(append(log, e...), eventSep)
			}
			so := readMessage(log)
			if so.continuable() != tt.continuable {
				t.Fatalf("continuable %v", !tt.continuable)
			}
			if !tt.continuable {
				return
			}
			out, _, err := so.continuation([]byte(messagesRaw), 150)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if m := gjson.GetBytes(out, "messages.1"); m.Exists() {
				got = m.Raw
			}
			if got != tt.prefill || gjson.GetBytes(out, "max_tokens").Int() != 1 {
				t.Fatalf("continuation %s", out)
			}
			if s := so.splicer("", 0); s.base != tt.base || s.join != tt.join {
				t.Fatalf("splicer base %d join %v", s.base, s.join)
			}
		})
	}
}

// TestMessagesSplicer: a continuation's events, rewritten into the client's message.
func TestMessagesSplicer(t *testing.T) {
	prompt := gjson.Parse(`{"input_tokens":7,"cache_read_input_tokens":20,"cache_creation_input_tokens":0,"output_tokens":1}`)
	tests := []struct {
		name   string
		s      messagesSplicer
		in     []string
		want   []string // the events the client gets, in order
		finalS messagesSplicer
	}{
		{"joined text", messagesSplicer{base: 2, join: true, trim: " ", before: 10, prompt: prompt}, []string{
			messageStart("b", 99), textStart, textDelta(0, " wor"), textDelta(0, " ld"), string(blockStop(0)),
			`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":5}}`,
			`{"type":"message_stop"}`,
		}, []string{
			textDelta(2, "wor"), textDelta(2, " ld"), string(blockStop(2)),
			`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}}`,
			`{"type":"message_stop"}`,
		}, messagesSplicer{base: 2, join: true, before: 10}},
		// The prompt counts of a continuation's cumulative usage are those of its own prompt
		// (the prefill in it, another cache): the client's are those of its message_start.
		{"usage of the whole", messagesSplicer{base: 1, before: 10, prompt: prompt}, []string{
			`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":99,"cache_read_input_tokens":50,"cache_creation_input_tokens":3,"output_tokens":5}}`,
		}, []string{
			`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":7,"cache_read_input_tokens":20,"cache_creation_input_tokens":0,"output_tokens":15}}`,
		}, messagesSplicer{base: 1, before: 10}},
		{"whitespace split over deltas", messagesSplicer{join: true, trim: "\n\n"}, []string{
			textDelta(0, "\n"), textDelta(0, "\nNext"), textDelta(0, "\n\n"),
		}, []string{textDelta(0, ""), textDelta(0, "Next"), textDelta(0, "\n\n")}, messagesSplicer{join: true}},
		// The open text block is closed before the continuation's tool_use block begins.
		{"the continuation opens a tool instead", messagesSplicer{base: 1, join: true}, []string{
			messageStart("b", 99), fmt.Sprintf(toolStart, 0, 5), fmt.Sprintf(toolDelta, 0, `{}`), string(blockStop(0)),
		}, []string{string(blockStop(1)), fmt.Sprintf(toolStart, 2, 5), fmt.Sprintf(toolDelta, 2, `{}`), string(blockStop(2))},
			messagesSplicer{base: 2}},
		{"after blocks", messagesSplicer{base: 3}, []string{fmt.Sprintf(toolStart, 0, 5), fmt.Sprintf(toolStart, 1, 6), `{"type":"ping"}`},
			[]string{fmt.Sprintf(toolStart, 3, 5), fmt.Sprintf(toolStart, 4, 6), `{"type":"ping"}`}, messagesSplicer{base: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s
			var got []string
			for _, ev := range tt.in {
				out, ok := s.splice([]byte(ev))
				if s.closeOpen != nil {
					got, s.closeOpen = append(got, string(s.closeOpen)), nil
				}
				if ok {
					got = append(got, string(out))
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("events %q, want %q", got, tt.want)
			}
			for i := range got {
				if !jsonEqual(got[i], tt.want[i]) {
					t.Errorf("event %d: %s, want %s", i, got[i], tt.want[i])
				}
			}
			if s.base != tt.finalS.base || s.join != tt.finalS.join || s.trim != tt.finalS.trim || s.before != tt.finalS.before {
				t.Errorf("splicer ends as %+v, want %+v", s, tt.finalS)
			}
		})
	}
}

func jsonEqual(a, b string) bool {
	if a == "" || b == "" {
		return a == b
	}
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

// TestMessagesStreamKeepsNothingWithoutContinuation: with no deployment to continue on, the
// events are not kept, and a cut is not continued.
func TestMessagesStreamKeepsNothingWithoutContinuation(t *testing.T) {
	f := nativeFormat(nil, &NativeRequest{API: APIMessages, Model: "claude"}).(*messagesStream)
	f.plan(nil)
	var sent delivered
	for _, ev := range []string{messageStart("m", 3), textStart, textDelta(0, "hi"),
		`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}`} {
		if _, ok := f.take([]byte(ev), &sent); !ok {
			t.Fatal("event not taken")
		}
	}
	if f.log != nil {
		t.Fatalf("kept %q", f.log)
	}
	// Cut after its stop reason, the message is complete: it only needs its message_stop.
	if c := f.closing(); !f.complete() || len(c) != 1 || string(c[0]) != `{"type":"message_stop"}` {
		t.Fatalf("complete %v, closing %q", f.complete(), c)
	}
	if sent.usage != (llm.Usage{PromptTokens: 3, CompletionTokens: 2, TotalTokens: 5}) {
		t.Fatalf("usage %+v", sent.usage)
	}
	if _, ok := nativeFormat(nil, &NativeRequest{API: APIResponses}).(continuer); ok {
		t.Fatal("a Responses stream is continued")
	}
}

// TestMessagesStreamClosing: a message cut after its stop reason is closed for the client:
// the block still open (known from the events kept), then the message.
func TestMessagesStreamClosing(t *testing.T) {
	delta := `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}`
	for _, tt := range []struct {
		name   string
		events []string
		want   []string
	}{
		{"blocks closed", []string{messageStart("m", 3), textStart, textDelta(0, "hi"), string(blockStop(0)), delta},
			[]string{`{"type":"message_stop"}`}},
		{"a block left open", []string{messageStart("m", 3), textStart, textDelta(0, "hi"), string(blockStop(0)),
			fmt.Sprintf(toolStart, 1, 0), delta},
			[]string{string(blockStop(1)), `{"type":"message_stop"}`}},
		{"no stop reason", []string{messageStart("m", 3), textStart, textDelta(0, "hi")}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := nativeFormat(nil, &NativeRequest{API: APIMessages, Model: "claude"}).(*messagesStream)
			f.keep = true
			var sent delivered
			for _, ev := range tt.events {
				f.take([]byte(ev), &sent)
			}
			if f.complete() != (tt.want != nil) {
				t.Fatalf("complete %v", f.complete())
			}
			if got := f.closing(); tt.want != nil && fmt.Sprintf("%s", got) != fmt.Sprintf("%s", tt.want) {
				t.Fatalf("closing %s, want %s", got, tt.want)
			}
		})
	}
}

func BenchmarkMessagesStreamTake(b *testing.B) {
	// Per relayed text delta of a native Messages stream: as a plain native stream, and as one
	// that may be continued (nothing kept without a deployment to continue on; the event kept
	// with one).
	delta := []byte(textDelta(0, "Hello "))
	for _, tt := range []struct {
		name   string
		format func() streamFormat
	}{
		{"native", func() streamFormat { return &nativeStream{req: &NativeRequest{API: APIMessages}, alias: "bench"} }},
		{"continuable, no deployment", func() streamFormat {
			f := nativeFormat(nil, &NativeRequest{API: APIMessages, Model: "bench"}).(*messagesStream)
			f.plan(nil)
			return f
		}},
		{"continuable, kept", func() streamFormat {
			f := nativeFormat(nil, &NativeRequest{API: APIMessages, Model: "bench"}).(*messagesStream)
			f.keep = true
			return f
		}},
	} {
		b.Run(tt.name, func(b *testing.B) { benchTake(b, tt.format(), delta) })
	}
}
