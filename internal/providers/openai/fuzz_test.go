package openai

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
		for i := 0; ; i++ {
			if i > len(in)+1 {
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
			if !json.Valid(chunk) || len(chunk) == 0 || chunk[0] != '{' {
				t.Fatalf("chunk %q is not a JSON object", chunk)
			}
			var obj map[string]json.RawMessage
			if json.Unmarshal(chunk, &obj) != nil {
				t.Fatalf("chunk %q is not a JSON object", chunk)
			}
			if bytes.ContainsAny(chunk, "\r\n") {
				t.Fatalf("chunk %q spans lines", chunk)
			}
			if _, bad := obj["error"]; bad && !bytes.Contains(chunk, []byte(`"error":null`)) && !bytes.Contains(chunk, []byte(`"error":false`)) {
				t.Fatalf("error event %q returned as a chunk", chunk)
			}
		}
	})
}
