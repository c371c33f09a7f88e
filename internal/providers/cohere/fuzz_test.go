package cohere

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/conduit-gw/conduit/internal/providers/providertest"

	"github.com/conduit-gw/conduit/internal/llm"
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
		limit := 4*len(in) + 8
		for i := 0; ; i++ {
			if i > limit {
				t.Fatalf("Next returned %d chunks from %d bytes", i, len(in))
			}
			chunk, err := st.Next()
			if err != nil {
				var e *llm.Error
				if err != io.EOF && !errors.As(err, &e) {
					t.Fatalf("error %T %v is neither io.EOF nor *llm.Error", err, err)
				}
				if e != nil && (e.Status < 400 || e.Message == "") {
					t.Fatalf("bad error %+v", e)
				}
				if chunk != nil {
					t.Fatalf("chunk %q with error %v", chunk, err)
				}
				if c2, err2 := st.Next(); c2 != nil || err2 != err {
					t.Fatalf("Next after the end = %q, %v; want %v", c2, err2, err)
				}
				return
			}
			var obj map[string]json.RawMessage
			if len(chunk) == 0 || chunk[0] != '{' || json.Unmarshal(chunk, &obj) != nil {
				t.Fatalf("chunk %q is not a JSON object", chunk)
			}
			if bytes.ContainsAny(chunk, "\r\n") {
				t.Fatalf("chunk %q spans lines", chunk)
			}
			if _, ok := obj["choices"]; !ok {
				t.Fatalf("chunk %q has no choices", chunk)
			}
		}
	})
}
