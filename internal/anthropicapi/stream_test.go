package anthropicapi

import (
	"bytes"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

// translate feeds chunks to a new translator and returns every event, End's included.
func translate(t testing.TB, chunks [][]byte) []Event {
	t.Helper()
	tr := NewStreamTranslator("my-alias")
	var out []Event
	for _, c := range chunks {
		ev, err := tr.Chunk(c)
		if err != nil {
			t.Fatalf("Chunk(%s): %v", c, err)
		}
		out = append(out, ev...)
	}
	end, err := tr.End()
	if err != nil {
		t.Fatalf("End: %v", err)
	}
	out = append(out, end...)
	if again, err := tr.End(); again != nil || err != nil {
		t.Errorf("End again = %v, %v", again, err)
	}
	return out
}

func render(events []Event) []byte {
	var b bytes.Buffer
	for _, e := range events {
		fmt.Fprintf(&b, "event: %s\ndata: %s\n\n", e.Name, e.Data)
	}
	return b.Bytes()
}

func lines(b []byte) [][]byte {
	var out [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if l = bytes.TrimSpace(l); len(l) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// checkEvents verifies the grammar of a Messages stream: message_start first, blocks started
// in index order one at a time and each stopped, deltas of the right kind for their block,
// then message_delta and message_stop; every payload a JSON object whose type is the name.
func checkEvents(events []Event) error {
	kinds := map[int64]string{} // block index → type
	open := int64(-1)
	for i, e := range events {
		d := gjson.ParseBytes(e.Data)
		if !gjson.ValidBytes(e.Data) || !d.IsObject() || d.Get("type").Str != e.Name || bytes.ContainsAny(e.Data, "\r\n") {
			return fmt.Errorf("event %d: %s %s", i, e.Name, e.Data)
		}
		if (i == 0) != (e.Name == "message_start") {
			return fmt.Errorf("event %d is %s", i, e.Name)
		}
		if (i == len(events)-1) != (e.Name == "message_stop") {
			return fmt.Errorf("event %d of %d is %s", i, len(events), e.Name)
		}
		idx := d.Get("index").Int()
		switch e.Name {
		case "content_block_start":
			if open >= 0 || idx != int64(len(kinds)) {
				return fmt.Errorf("event %d starts block %d with %d open, %d started", i, idx, open, len(kinds))
			}
			kinds[idx], open = d.Get("content_block.type").Str, idx
		case "content_block_delta":
			k, ok := kinds[idx]
			dt := d.Get("delta.type").Str
			if !ok || (k == "text") != (dt == "text_delta") || (k == "tool_use") != (dt == "input_json_delta") {
				return fmt.Errorf("event %d: %s delta for %q block %d", i, dt, k, idx)
			}
			if k == "text" && idx != open {
				return fmt.Errorf("event %d: text delta for closed block %d", i, idx)
			}
		case "content_block_stop":
			if idx != open {
				return fmt.Errorf("event %d stops block %d, open is %d", i, idx, open)
			}
			open = -1
		case "message_delta":
			if open >= 0 || i != len(events)-2 || d.Get("delta.stop_reason").Str == "" {
				return fmt.Errorf("event %d: message_delta with block %d open or misplaced: %s", i, open, e.Data)
			}
		case "message_start", "message_stop":
		default:
			return fmt.Errorf("event %d: unknown %s", i, e.Name)
		}
	}
	if len(events) < 3 {
		return fmt.Errorf("only %d events", len(events))
	}
	return nil
}

// TestStreamGoldens feeds testdata/streams/<case>.jsonl (one OpenAI chunk per line) to a
// translator and pins the events in <case>.golden.
func TestStreamGoldens(t *testing.T) {
	files, _ := filepath.Glob("testdata/streams/*.jsonl")
	if len(files) < 5 {
		t.Fatalf("only %d cases", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".jsonl")
		t.Run(name, func(t *testing.T) {
			events := translate(t, lines(readFile(t, f)))
			if err := checkEvents(events); err != nil {
				t.Error(err)
			}
			golden(t, strings.TrimSuffix(f, ".jsonl")+".golden", render(events))
		})
	}
}

// TestStreamTextEvents checks a full text transcript event by event.
func TestStreamTextEvents(t *testing.T) {
	got := translate(t, lines(readFile(t, "testdata/streams/text.jsonl")))
	want := []Event{
		{Name: "message_start", Data: []byte(`{"type":"message_start","message":{"id":"msg_Az1","type":"message","role":"assistant","model":"my-alias","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}}`)},
		{Name: "content_block_start", Data: []byte(`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)},
		{Name: "content_block_delta", Data: []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}`)},
		{Name: "content_block_delta", Data: []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" wörld 👋"}}`)},
		{Name: "content_block_stop", Data: []byte(`{"type":"content_block_stop","index":0}`)},
		{Name: "message_delta", Data: []byte(`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":18,"cache_read_input_tokens":12,"output_tokens":4}}`)},
		{Name: "message_stop", Data: []byte(`{"type":"message_stop"}`)},
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d:\n%s", len(got), len(want), render(got))
	}
	for i := range want {
		if got[i].Name != want[i].Name || !bytes.Equal(got[i].Data, want[i].Data) {
			t.Errorf("event %d:\n got %s %s\nwant %s %s", i, got[i].Name, got[i].Data, want[i].Name, want[i].Data)
		}
	}
}

// TestStreamSemantics states what the goldens must show.
func TestStreamSemantics(t *testing.T) {
	type block struct{ typ, id, name, text string }
	summarize := func(events []Event) (blocks []block, stop string, usage string) {
		for _, e := range events {
			d := gjson.ParseBytes(e.Data)
			switch e.Name {
			case "content_block_start":
				cb := d.Get("content_block")
				blocks = append(blocks, block{typ: cb.Get("type").Str, id: cb.Get("id").Str, name: cb.Get("name").Str})
			case "content_block_delta":
				b := &blocks[d.Get("index").Int()]
				b.text += d.Get("delta.text").Str + d.Get("delta.partial_json").Str
			case "message_delta":
				stop, usage = d.Get("delta.stop_reason").Str, d.Get("usage").Raw
			}
		}
		return
	}
	for name, want := range map[string]struct {
		blocks []block
		stop   string
		usage  string
	}{
		"tool_calls_split": {[]block{{"text", "", "", "Let me check."}, {"tool_use", "call_A", "get_weather", `{"location": "Paris"}`},
			{"tool_use", "call_B", "get_time", `{"tz": "CET"}`}}, "tool_use", `{"input_tokens":100,"cache_read_input_tokens":0,"output_tokens":30}`},
		"reused_index": {[]block{{"tool_use", "call_1", "a", `{"x":1}`}, {"tool_use", "call_2", "b", `{"y":2}`}},
			"tool_use", `{"input_tokens":10,"cache_read_input_tokens":0,"output_tokens":8}`},
		"no_usage_length": {[]block{{"text", "", "", "Cut short"}}, "max_tokens", `{"output_tokens":0}`},
		"text_after_tool": {[]block{{"tool_use", "call_1", "a", `{}`}, {"text", "", "", "and more text"}}, "tool_use", `{"output_tokens":0}`},
	} {
		blocks, stop, usage := summarize(translate(t, lines(readFile(t, filepath.Join("testdata/streams", name+".jsonl")))))
		if fmt.Sprint(blocks) != fmt.Sprint(want.blocks) || stop != want.stop || usage != want.usage {
			t.Errorf("%s: %v %s %s\nwant %v %s %s", name, blocks, stop, usage, want.blocks, want.stop, want.usage)
		}
	}
}

func TestStreamEdges(t *testing.T) {
	// No chunk at all: still a complete, valid message.
	events := translate(t, nil)
	if err := checkEvents(events); err != nil || len(events) != 3 {
		t.Errorf("%v\n%s", err, render(events))
	}
	tr := NewStreamTranslator("a")
	if _, err := tr.Chunk([]byte(`not json`)); err == nil {
		t.Error("no error for a malformed chunk")
	}
	_, _ = tr.End()
	if ev, err := tr.Chunk([]byte(`{"choices":[{"delta":{"content":"late"}}]}`)); ev != nil || err != nil {
		t.Errorf("chunk after End: %v %v", ev, err)
	}
	e := ErrorEvent(&llm.Error{Status: http.StatusBadGateway, Message: "openai stream ended unexpectedly"})
	if e.Name != "error" || string(e.Data) != `{"type":"error","error":{"type":"api_error","message":"openai stream ended unexpectedly"}}` {
		t.Errorf("%s %s", e.Name, e.Data)
	}
}

// An event that cannot be encoded is an error from Chunk and End, never a panic, and no
// events go out with it.
func TestStreamEncodeError(t *testing.T) {
	tr := NewStreamTranslator("a")
	if _, err := tr.Chunk([]byte(`{"choices":[{"delta":{"content":"hi"}}]}`)); err != nil {
		t.Fatal(err)
	}
	tr.emit(nil, "broken", map[string]any{"x": make(chan int)})
	ev, err := tr.Chunk([]byte(`{"choices":[{"delta":{"content":"more"}}]}`))
	if err == nil || ev != nil {
		t.Fatalf("Chunk after an encoding failure = %v, %v; want no events and an error", ev, err)
	}
	if e := llm.AsError(err); e.Status != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", e.Status)
	}
	if ev, err := tr.End(); err == nil || ev != nil {
		t.Fatalf("End after an encoding failure = %v, %v; want no events and an error", ev, err)
	}
}

// FuzzStreamTranslator feeds arbitrary chunk sequences (one per line): Chunk must not panic,
// and whatever it accepted, End must complete a well-formed event stream.
//
//	go test -fuzz=FuzzStreamTranslator ./internal/anthropicapi/
func FuzzStreamTranslator(f *testing.F) {
	files, _ := filepath.Glob("testdata/streams/*.jsonl")
	for _, p := range files {
		f.Add(readFile(f, p))
	}
	f.Add([]byte(`{"choices":[{"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{"}},{"index":0,"id":"a"}]}}]}` + "\n" + `{"choices":[{"delta":{"content":"x","tool_calls":[{"index":1,"function":{"arguments":"}"}}]},"finish_reason":"stop"}]}`))
	f.Add([]byte(`{"choices":[{"delta":{"tool_calls":[{"index":"zero","id":7,"function":null}]}}],"usage":[]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		tr := NewStreamTranslator("fuzz")
		var events []Event
		for _, l := range lines(in) {
			ev, err := tr.Chunk(l)
			if err != nil {
				if ev != nil {
					t.Fatalf("events with an error: %v", ev)
				}
				continue
			}
			events = append(events, ev...)
		}
		end, err := tr.End()
		if err != nil {
			t.Fatalf("End: %v", err)
		}
		events = append(events, end...)
		if err := checkEvents(events); err != nil {
			t.Fatalf("%v\n%s", err, render(events))
		}
	})
}
