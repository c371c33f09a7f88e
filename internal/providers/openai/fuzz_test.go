package openai

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"testing"

	"github.com/conduit-gw/conduit/internal/providers/providertest"
)

// FuzzStream feeds arbitrary bytes to Stream.Next: it must not panic, must end, and must only
// return one-line JSON objects, then a sticky io.EOF or *llm.Error.
//
//	go test -fuzz=FuzzStream ./internal/providers/openai/
func FuzzStream(f *testing.F) {
	files, _ := filepath.Glob("testdata/streams/*.sse")
	for _, p := range files {
		b := providertest.ReadFile(f, p)
		f.Add(b)
		if i := len(b) / 2; i > 0 {
			f.Add(b[:i]) // cut mid-stream
		}
	}
	f.Add([]byte("data: [DONE]"))
	f.Add([]byte("data: {}\r\rdata: [DONE]\r\r"))
	f.Add([]byte("event: error\ndata: {\"error\":{\"message\":1}}\n\n"))
	f.Add([]byte("data: {\"a\":\n\ndata: 1}\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		st := NewStream("fuzz", io.NopCloser(bytes.NewReader(in)))
		// Every chunk consumes at least one input byte, so more calls than bytes means a loop.
		providertest.FuzzNext(t, st, len(in)+1, func(chunk []byte, obj map[string]json.RawMessage) {
			if _, bad := obj["error"]; bad && !bytes.Contains(chunk, []byte(`"error":null`)) && !bytes.Contains(chunk, []byte(`"error":false`)) {
				t.Fatalf("error event %q returned as a chunk", chunk)
			}
		})
	})
}
