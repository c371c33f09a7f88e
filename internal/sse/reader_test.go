package sse

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReader(t *testing.T) {
	type ev struct{ name, data string }
	tests := []struct {
		name string
		in   string
		want []ev
		err  error
	}{
		{"openai chunks", "data: {\"a\":1}\n\ndata: [DONE]\n\n", []ev{{"", `{"a":1}`}, {"", "[DONE]"}}, io.EOF},
		{"crlf and comments", ": keep-alive\r\n\r\ndata: x\r\n\r\n", []ev{{"", "x"}}, io.EOF},
		{"named events", "event: message_start\ndata: {}\n\nevent: ping\ndata: {\"type\":\"ping\"}\n\n",
			[]ev{{"message_start", "{}"}, {"ping", `{"type":"ping"}`}}, io.EOF},
		{"multi-line data", "data: a\ndata: b\n\n", []ev{{"", "a\nb"}}, io.EOF},
		{"no space after colon", "data:x\n\n", []ev{{"", "x"}}, io.EOF},
		{"last event without blank line", "data: x\n\ndata: y", []ev{{"", "x"}, {"", "y"}}, io.EOF},
		{"empty", "", nil, io.EOF},
		{"long line", "data: " + strings.Repeat("z", 40000) + "\n\n", []ev{{"", strings.Repeat("z", 40000)}}, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte at a time proves no event depends on read boundaries.
			r := NewReader(iotest.OneByteReader(strings.NewReader(tt.in)))
			var got []ev
			var err error
			for {
				var e Event
				e, err = r.Next()
				if err != nil {
					break
				}
				got = append(got, ev{string(e.Name), string(e.Data)})
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d events %q, want %d %q", len(got), got, len(tt.want), tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("event %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestReaderReset: a reader reset onto another stream, even mid-event, reads that stream
// alone, and allocates nothing for it.
func TestReaderReset(t *testing.T) {
	r := NewReader(strings.NewReader("event: a\ndata: first\n\ndata: cut mid-ev"))
	for {
		if _, err := r.Next(); err != nil {
			break
		}
	}
	stream := "data: {\"b\":2}\n\ndata: [DONE]\n\n"
	r.Reset(strings.NewReader(stream))
	for _, want := range []string{`{"b":2}`, "[DONE]"} {
		e, err := r.Next()
		if err != nil || string(e.Data) != want || len(e.Name) != 0 {
			t.Fatalf("event %q %q, %v; want %q", e.Name, e.Data, err, want)
		}
	}
	var sr strings.Reader
	allocs := testing.AllocsPerRun(100, func() {
		sr.Reset(stream)
		r.Reset(&sr)
		for {
			if _, err := r.Next(); err != nil {
				break
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per stream", allocs)
	}
}

func TestReaderTooLarge(t *testing.T) {
	in := "data: " + strings.Repeat("z", MaxEventBytes+10) + "\n\n"
	_, err := NewReader(strings.NewReader(in)).Next()
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

func FuzzReader(f *testing.F) {
	f.Add("data: {\"a\":1}\n\ndata: [DONE]\n\n")
	f.Add("event: x\ndata: y\r\n\r\n: c\n")
	f.Fuzz(func(t *testing.T, in string) {
		r := NewReader(strings.NewReader(in))
		for i := 0; i < len(in)+2; i++ {
			if _, err := r.Next(); err != nil {
				return
			}
		}
		t.Fatalf("reader did not terminate on %q", in)
	})
}
