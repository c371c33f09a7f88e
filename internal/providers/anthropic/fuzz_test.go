package anthropic

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
		providertest.FuzzNext(t, st, len(in)+3, func(chunk []byte, obj map[string]json.RawMessage) {
			if string(obj["object"]) != `"chat.completion.chunk"` {
				t.Fatalf("chunk %q is not a chat.completion.chunk", chunk)
			}
		})
	})
}
