package anthropic

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
//	go test -fuzz=FuzzStream ./internal/providers/anthropic/
func FuzzStream(f *testing.F) {
	files, _ := filepath.Glob("testdata/streams/*.sse")
	for _, p := range files {
		b := providertest.ReadFile(f, p)
		f.Add(b, false)
		if i := len(b) / 2; i > 0 {
			f.Add(b[:i], true) // cut mid-stream
		}
	}
	f.Add([]byte("data: {\"type\":\"message_stop\"}"), false)
	f.Add([]byte("event: error\n\n"), false)
	f.Add([]byte("data: {\"type\":\"content_block_delta\",\"index\":-1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\"}}\n\n"), true)
	f.Add([]byte("data: {\"type\":\"content_block_start\",\"index\":99999999999999999999,\"content_block\":{\"type\":\"tool_use\"}}\n\n"), false)
	f.Fuzz(func(t *testing.T, in []byte, jsonMode bool) {
		tool := ""
		if jsonMode {
			tool = jsonToolName
		}
		st := NewStream(io.NopCloser(bytes.NewReader(in)), tool, 1)
		// An event takes more than 3 bytes and yields at most 3 chunks.
		for i := 0; ; i++ {
			if i > len(in)+3 {
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
			if string(obj["object"]) != `"chat.completion.chunk"` {
				t.Fatalf("chunk %q is not a chat.completion.chunk", chunk)
			}
		}
	})
}
