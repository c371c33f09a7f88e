package openai

import (
	"bytes"
	"testing"

	"github.com/tidwall/gjson"
)

// checkedInFull is what eventCheck must agree with: the event is one JSON object.
func checkedInFull(data []byte) bool {
	return len(data) > 0 && data[0] == '{' && gjson.ValidBytes(data)
}

const okChunk = `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}`

func TestEventCheck(t *testing.T) {
	head := okChunk[:bytes.Index([]byte(okChunk), []byte(`[`))]
	tests := []struct {
		name   string
		events []string
		fast   []bool // whether the learnt head applied to each event
	}{
		{"same head", []string{okChunk, okChunk, head + `[]}`}, []bool{false, true, true}},
		{"broken after the head", []string{okChunk, head + `[{"index":0,}]}`, head + `[]`, head + `[]}x`, head + "[]}\x00"}, []bool{false, true, true, true, true}},
		{"broken head", []string{okChunk, `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":` + "\x01"}, []bool{false, true}},
		{"another head", []string{okChunk, `{"id":"x","choices":[]}`, `{"id":"x","choices":[{]}`}, []bool{false, false, true}},
		{"no choices", []string{`{"id":"x"}`, `{"id":"x"}`}, []bool{false, false}},
		{"an error in the head is not learnt", []string{`{"error":null,"choices":[]}`, `{"error":null,"choices":[]}`}, []bool{false, false}},
		{"not an object", []string{`[1]`, `"s"`, `{`, ``}, []bool{false, false, false, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c eventCheck
			for i, ev := range tc.events {
				fast := len(c.head) > 0 && bytes.HasPrefix([]byte(ev), c.head) && len(ev) > len(c.head)
				ok, _ := c.object([]byte(ev))
				if want := checkedInFull([]byte(ev)); ok != want || fast != tc.fast[i] {
					t.Errorf("event %d %q: ok %v (want %v), fast %v (want %v)", i, ev, ok, want, fast, tc.fast[i])
				}
			}
		})
	}
}

// FuzzEventCheck: eventCheck, reading only what follows a learnt head, agrees with a check of
// the whole event on whether it is one JSON object, and its rest holds every top-level
// "error" key and line break the event holds.
//
//	go test -fuzz=FuzzEventCheck ./internal/providers/openai/
func FuzzEventCheck(f *testing.F) {
	f.Add([]byte(okChunk), []byte(`[{"index":0,"delta":{"content":"x"}}]}`))
	f.Add([]byte(okChunk), []byte(`[],"usage":{"prompt_tokens":1}}`))
	f.Add([]byte(okChunk), []byte(`[{"index":0,}]}`))
	f.Add([]byte(okChunk), []byte(`[],"error":{"message":"x"}}`))
	f.Add([]byte(okChunk), []byte("[]\n}"))
	f.Add([]byte(`{"choices":[]}`), []byte(`1}`))
	f.Add([]byte(`{"a":"\u00e9","choices" : []}`), []byte(`"\ud800"}`))
	f.Fuzz(func(t *testing.T, first, rest []byte) {
		var c eventCheck
		agree := func(ev []byte) {
			ok, r := c.object(ev)
			if want := checkedInFull(ev); ok != want {
				t.Fatalf("%q: ok %v, checked in full %v", ev, ok, want)
			}
			if !ok {
				return
			}
			if bytes.Contains(ev, errorKey) != bytes.Contains(r, errorKey) {
				t.Fatalf("%q: rest %q misses an \"error\"", ev, r)
			}
			if bytes.ContainsAny(ev, "\r\n") != bytes.ContainsAny(r, "\r\n") {
				t.Fatalf("%q: rest %q misses a line break", ev, r)
			}
		}
		agree(first)
		head := bytes.Clone(c.head)
		agree(append(head, rest...)) // begins as first did: read from its choices
		agree(rest)
		agree(first)
	})
}
