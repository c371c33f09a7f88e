package gateway

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// seenAnswer is an answer with text and tool calls, in chunks.
var seenAnswer = []string{
	`{"id":"chatcmpl-1","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
	`{"id":"chatcmpl-1","model":"m","choices":[{"index":0,"delta":{"content":"Let me \"check\" "},"finish_reason":null}]}`,
	`{"id":"chatcmpl-1","model":"m","choices":[{"index":0,"delta":{"content":"the weather."},"finish_reason":null}]}`,
	`{"id":"chatcmpl-1","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}`,
	`{"id":"chatcmpl-1","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"finish_reason":null}]}`,
	`{"id":"chatcmpl-1","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"finish_reason":null}]}`,
	`{"id":"chatcmpl-1","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_2","type":"function","function":{"name":"get_time","arguments":"{}"}}]},"finish_reason":null}]}`,
	`{"id":"chatcmpl-1","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`,
}

// perChunk is what reading every chunk as it is delivered gives: the text (until usage) and
// the answer so far.
func perChunk(chunks []string, usageAt int) (string, *soFar) {
	var text strings.Builder
	so := &soFar{}
	for i, c := range chunks {
		if i < usageAt {
			appendText([]byte(c), &text)
		}
		so.note([]byte(c))
	}
	return text.String(), so
}

// TestSeenChunksFoldAnywhere: the text and the answer so far read back from the kept chunks
// are what a read of every chunk gave, wherever the kept chunks were folded on the way, cut
// after any chunk, with the usage reported at any point (or never).
func TestSeenChunksFoldAnywhere(t *testing.T) {
	pool := &sync.Pool{}
	for cut := 1; cut <= len(seenAnswer); cut++ {
		chunks := seenAnswer[:cut]
		for usageAt := 0; usageAt <= cut; usageAt++ {
			wantText, wantSo := perChunk(chunks, usageAt)
			for foldAfter := -1; foldAfter < cut; foldAfter++ {
				t.Run(fmt.Sprintf("cut %d usage %d fold %d", cut, usageAt, foldAfter), func(t *testing.T) {
					s := seenChunks{pool: pool, so: &soFar{}}
					for i, c := range chunks {
						s.add([]byte(c), i < usageAt)
						if i == foldAfter {
							s.fold(i < usageAt)
						}
					}
					s.fold(cut <= usageAt)
					// The text is counted only for an answer whose upstream reported no usage.
					if cut <= usageAt && s.text.String() != wantText {
						t.Errorf("text %q, want %q", s.text.String(), wantText)
					}
					if !sameSoFar(s.so, wantSo) {
						t.Errorf("so far %+v, want %+v", s.so, wantSo)
					}
					s.release()
				})
			}
		}
	}
}

func sameSoFar(a, b *soFar) bool {
	if a.id != b.id || a.content.String() != b.content.String() || len(a.tools) != len(b.tools) {
		return false
	}
	for i := range a.tools {
		x, y := &a.tools[i], &b.tools[i]
		if x.ID != y.ID || x.Type != y.Type || !reflect.DeepEqual(x.Function, y.Function) || x.arguments.String() != y.arguments.String() {
			return false
		}
	}
	return true
}

// TestSeenChunksFoldLongAnswers: a long answer is folded on the way (its chunks are not all
// kept) and reads back whole.
func TestSeenChunksFoldLongAnswers(t *testing.T) {
	var s seenChunks
	var want strings.Builder
	for i := 0; i < 5000; i++ {
		w := fmt.Sprintf("word%d ", i)
		want.WriteString(w)
		s.add([]byte(`{"id":"x","choices":[{"index":0,"delta":{"content":"`+w+`"}}]}`), true)
		if len(s.buf) > seenFoldAt+100 {
			t.Fatalf("%d bytes kept unread", len(s.buf))
		}
	}
	s.fold(true)
	if s.text.String() != want.String() {
		t.Fatalf("text of %d bytes, want %d", s.text.Len(), want.Len())
	}
}
