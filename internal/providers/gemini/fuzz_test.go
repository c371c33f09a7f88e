package gemini

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
//	go test -fuzz=FuzzStream ./internal/providers/gemini/
func FuzzStream(f *testing.F) {
	files, _ := filepath.Glob("testdata/streams/*.sse")
	for _, p := range files {
		b := providertest.ReadFile(f, p)
		f.Add(b, uint8(1))
		if i := len(b) / 2; i > 0 {
			f.Add(b[:i], uint8(2))
		}
	}
	f.Add([]byte(`data: {"candidates":[{"index":-5,"finishReason":"STOP"}]}`), uint8(1))
	f.Add([]byte(`data: {"candidates":[{"index":9007199254740993,"content":{"parts":[{"functionCall":{"name":7,"args":[1]}}]},"finishReason":"X"}]}`+"\n\n"), uint8(3))
	f.Add([]byte("event: error\ndata: {\"error\":{\"message\":1}}\n\n"), uint8(1))
	f.Add([]byte("data: {\"promptFeedback\":{\"blockReason\":\"OTHER\"}}\r\rdata: [DONE]\r\r"), uint8(4))
	f.Fuzz(func(t *testing.T, in []byte, n uint8) {
		tr := &responseTranslator{model: "m", created: 1, newID: func() string { return "x" }}
		st := newStream(io.NopCloser(bytes.NewReader(in)), tr, int(n%5))
		// Each event yields at most a few chunks per candidate: bound the calls generously.
		providertest.FuzzNext(t, st, 8*len(in)+16, func(chunk []byte, obj map[string]json.RawMessage) {
			if _, ok := obj["choices"]; !ok {
				t.Fatalf("chunk %q has no choices", chunk)
			}
		})
	})
}
