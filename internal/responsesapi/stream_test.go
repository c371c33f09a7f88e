package responsesapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/sse"
)

// chunks reads the data of every event of a chat event stream, [DONE] excluded.
func chunks(t testing.TB, r io.Reader) [][]byte {
	t.Helper()
	sr := sse.NewReader(r)
	var out [][]byte
	for {
		ev, err := sr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if string(ev.Data) != "[DONE]" {
			out = append(out, bytes.Clone(ev.Data))
		}
	}
}

// translate feeds chunks to a new translator and returns every event, End's included.
func translate(t testing.TB, cs [][]byte) []Event {
	t.Helper()
	tr := NewStreamTranslator(skeleton(t))
	out := tr.Start()
	for _, c := range cs {
		ev, err := tr.Chunk(c)
		if err != nil {
			t.Fatalf("Chunk(%s): %v", c, err)
		}
		out = append(out, ev...)
	}
	out = append(out, tr.End()...)
	if again := tr.End(); again != nil {
		t.Errorf("End again = %v", again)
	}
	return out
}

// checkEvents verifies the grammar of a Responses stream: created and in_progress first;
// items added in output order one at a time, each with its deltas and done events; the
// terminal event last; sequence numbers 0, 1, 2…; every payload a JSON object whose type is
// the event's name.
func checkEvents(events []Event) error {
	open := int64(-1)
	added := int64(0)
	kinds := map[int64]string{}
	for i, e := range events {
		d := gjson.ParseBytes(e.Data)
		if !gjson.ValidBytes(e.Data) || !d.IsObject() || d.Get("type").Str != e.Name || bytes.ContainsAny(e.Data, "\r\n") {
			return fmt.Errorf("event %d: %s %s", i, e.Name, e.Data)
		}
		if d.Get("sequence_number").Int() != int64(i) {
			return fmt.Errorf("event %d has sequence_number %s", i, d.Get("sequence_number").Raw)
		}
		idx := d.Get("output_index").Int()
		switch {
		case i == 0 && e.Name != "response.created", i == 1 && e.Name != "response.in_progress":
			return fmt.Errorf("event %d is %s", i, e.Name)
		}
		switch e.Name {
		case "response.created", "response.in_progress":
			if i > 1 || d.Get("response.status").Str != StatusInProgress {
				return fmt.Errorf("event %d: %s", i, e.Data)
			}
		case "response.output_item.added":
			if open >= 0 || idx != added {
				return fmt.Errorf("event %d adds item %d with %d open, %d added", i, idx, open, added)
			}
			kinds[idx], open = d.Get("item.type").Str, idx
			added++
		case "response.content_part.added", "response.output_text.delta", "response.output_text.done", "response.content_part.done":
			if idx != open || kinds[idx] != "message" {
				return fmt.Errorf("event %d: %s for item %d (%s), open %d", i, e.Name, idx, kinds[idx], open)
			}
		case "response.function_call_arguments.delta", "response.function_call_arguments.done":
			if kinds[idx] != "function_call" || (e.Name == "response.function_call_arguments.done" && idx != open) {
				return fmt.Errorf("event %d: %s for item %d (%s)", i, e.Name, idx, kinds[idx])
			}
		case "response.output_item.done":
			if idx != open || d.Get("item.status").Str != StatusCompleted {
				return fmt.Errorf("event %d: done for item %d, open %d", i, idx, open)
			}
			open = -1
		case "response.completed", "response.incomplete", "response.failed":
			if i != len(events)-1 || open >= 0 || d.Get("response.output.#").Int() != added {
				return fmt.Errorf("event %d of %d: %s with item %d open: %s", i, len(events), e.Name, open, e.Data)
			}
		default:
			return fmt.Errorf("event %d: unknown %s", i, e.Name)
		}
	}
	if len(events) < 3 {
		return fmt.Errorf("only %d events", len(events))
	}
	return nil
}

// TestStreamGoldens replays the recorded chat event streams in testdata/streams/<case>.sse,
// whole and one byte per read, and pins the Responses events in <case>.golden.
func TestStreamGoldens(t *testing.T) {
	files, _ := filepath.Glob("testdata/streams/*.sse")
	if len(files) < 4 {
		t.Fatalf("only %d cases", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sse")
		t.Run(name, func(t *testing.T) {
			raw := readFile(t, f)
			whole := render(translate(t, chunks(t, bytes.NewReader(raw))))
			events := translate(t, chunks(t, iotest.OneByteReader(bytes.NewReader(raw))))
			tiny := render(events)
			if !bytes.Equal(randomIDs.ReplaceAll(whole, nil), randomIDs.ReplaceAll(tiny, nil)) {
				t.Errorf("tiny reads differ:\n%s\n---\n%s", whole, tiny)
			}
			if err := checkEvents(events); err != nil {
				t.Error(err)
			}
			golden(t, strings.TrimSuffix(f, ".sse")+".golden", tiny)
		})
	}
}

func TestStreamSemantics(t *testing.T) {
	events := translate(t, chunks(t, bytes.NewReader(readFile(t, "testdata/streams/tool_calls.sse"))))
	last := events[len(events)-1]
	checkPaths(t, "completed", last.Data, map[string]string{
		"type":                             `"response.completed"`,
		"response.status":                  `"completed"`,
		"response.output.#.type":           `["message","function_call","function_call"]`,
		"response.output.1.arguments":      `"{\"city\":\"Paris\"}"`,
		"response.output.1.call_id":        `"call_a"`,
		"response.output.0.content.0.text": `"Checking."`,
		"response.usage.input_tokens":      `30`,
		"response.usage.output_tokens":     `12`,
		"response.model":                   `"my-alias"`,
	})
	var deltas strings.Builder
	for _, e := range events {
		if e.Name == "response.function_call_arguments.delta" && gjson.GetBytes(e.Data, "output_index").Int() == 1 {
			deltas.WriteString(gjson.GetBytes(e.Data, "delta").Str)
		}
	}
	if deltas.String() != `{"city":"Paris"}` {
		t.Errorf("argument deltas %q", deltas.String())
	}

	events = translate(t, chunks(t, bytes.NewReader(readFile(t, "testdata/streams/length_no_usage.sse"))))
	checkPaths(t, "incomplete", events[len(events)-1].Data, map[string]string{
		"type": `"response.incomplete"`, "response.incomplete_details.reason": `"max_output_tokens"`,
		"response.usage": `null`,
	})
}

func TestStreamFail(t *testing.T) {
	tr := NewStreamTranslator(skeleton(t))
	events := tr.Start()
	ev, err := tr.Chunk([]byte(`{"choices":[{"delta":{"content":"par"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	events = append(events, ev...)
	events = append(events, tr.Fail(&llm.Error{Status: http.StatusBadGateway, Code: llm.CodeUpstreamError, Message: "openai stream ended unexpectedly"})...)
	if err := checkEvents(events); err != nil {
		t.Fatal(err)
	}
	checkPaths(t, "failed", events[len(events)-1].Data, map[string]string{
		"type": `"response.failed"`, "response.status": `"failed"`,
		"response.error":                   `{"code":"upstream_error","message":"openai stream ended unexpectedly"}`,
		"response.output.0.content.0.text": `"par"`,
	})
	if tr.End() != nil || tr.Fail(llm.AsError(errors.New("x"))) != nil {
		t.Error("events after the end")
	}
	if _, err := tr.Chunk([]byte(`nope`)); err != nil {
		t.Error("chunks after the end are ignored")
	}
	if _, err := NewStreamTranslator(skeleton(t)).Chunk([]byte(`nope`)); err == nil {
		t.Error("malformed chunk accepted")
	}
	e := ErrorEvent(llm.InvalidRequest("input", "bad"), 0)
	checkPaths(t, "error", e.Data, map[string]string{"type": `"error"`, "code": `"invalid_request"`, "param": `"input"`, "sequence_number": `0`})
}

// FuzzStreamTranslator feeds arbitrary chunk sequences (one per line): Chunk must not panic,
// and whatever it accepted, End must complete a well-formed event stream.
//
//	go test -fuzz=FuzzStreamTranslator ./internal/responsesapi/
func FuzzStreamTranslator(f *testing.F) {
	files, _ := filepath.Glob("testdata/streams/*.sse")
	for _, p := range files {
		var b bytes.Buffer
		for _, c := range chunks(f, bytes.NewReader(readFile(f, p))) {
			b.Write(c)
			b.WriteByte('\n')
		}
		f.Add(b.Bytes())
	}
	f.Add([]byte(`{"choices":[{"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{"}},{"index":0,"id":"a"}]}}]}` + "\n" + `{"choices":[{"delta":{"content":"x","tool_calls":[{"index":1,"function":{"arguments":"}"}}]},"finish_reason":"stop"}]}`))
	f.Add([]byte(`{"choices":[{"delta":{"tool_calls":[{"index":"zero","id":7,"function":null}]}}],"usage":[]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		tr := NewStreamTranslator(skeleton(t))
		events := tr.Start()
		for _, l := range bytes.Split(in, []byte("\n")) {
			ev, err := tr.Chunk(l)
			if err != nil {
				if ev != nil {
					t.Fatalf("events with an error: %v", ev)
				}
				continue
			}
			events = append(events, ev...)
		}
		events = append(events, tr.End()...)
		if err := checkEvents(events); err != nil {
			t.Fatalf("%v\n%s", err, render(events))
		}
	})
}

// BenchmarkTranslateStream translates a streamed chat answer into the Responses events, for a
// request with long instructions (echoed in every event that carries the response object).
func BenchmarkTranslateStream(b *testing.B) {
	f, err := os.Open("testdata/streams/text.sse")
	if err != nil {
		b.Fatal(err)
	}
	cs := chunks(b, f)
	f.Close()
	body, _ := json.Marshal(map[string]any{"model": "bench", "input": strings.Repeat("Summarise the benefits of a gateway. ", 10),
		"instructions": strings.Repeat("You are a concise assistant that answers in plain English. ", 9), "max_output_tokens": 64})
	req, err := ParseRequest(body)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		tr := NewStreamTranslator(req.Skeleton("resp_1", "bench", 1700000000))
		n := len(tr.Start())
		for _, c := range cs {
			evs, err := tr.Chunk(c)
			if err != nil {
				b.Fatal(err)
			}
			n += len(evs)
		}
		if n += len(tr.End()); n < 5 || tr.Final() == nil {
			b.Fatalf("%d events", n)
		}
	}
}
