package cohere

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"testing"

	"github.com/conduit-gw/conduit/internal/providers/providertest"
)

// FuzzStream feeds arbitrary bytes to the stream translator: it must not panic, must end,
// and must only return one-line JSON objects, then a sticky io.EOF or *llm.Error.
//
//	go test -fuzz=FuzzStream ./internal/providers/cohere/
func FuzzStream(f *testing.F) {
	files, _ := filepath.Glob("testdata/streams/*.sse")
	for _, p := range files {
		b := providertest.ReadFile(f, p)
		f.Add(b)
		if i := len(b) / 2; i > 0 {
			f.Add(b[:i])
		}
	}
	f.Add([]byte("event: tool-call-delta\ndata: {\"type\":\"tool-call-delta\",\"index\":1}\n\n"))
	f.Add([]byte("data: {\"type\":\"tool-call-start\",\"index\":-1,\"delta\":{\"message\":{\"tool_calls\":[1]}}}\n\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":7}}\n\n"))
	f.Add([]byte("event: error\ndata: {\"message\":1}\n\n"))
	f.Add([]byte("data: {\"type\":\"message-end\"}\r\rdata: [DONE]\r\rdata: x\r\r"))
	f.Fuzz(func(t *testing.T, in []byte) {
		st := newStream(io.NopCloser(bytes.NewReader(in)), "m", 1, "chatcmpl-x")
		// Each event yields at most three chunks: bound the calls generously.
		providertest.FuzzNext(t, st, 4*len(in)+8, func(chunk []byte, obj map[string]json.RawMessage) {
			if _, ok := obj["choices"]; !ok {
				t.Fatalf("chunk %q has no choices", chunk)
			}
		})
	})
}
