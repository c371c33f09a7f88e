package providertest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/conduit-gw/conduit/internal/llm"
)

// FuzzNext reads st to its end and fails on what no upstream input may cause: more than limit
// chunks (a loop), an error that is neither io.EOF nor an *llm.Error with a status and a
// message, a chunk beside an error, an end that is not returned again, or a chunk that is not
// a JSON object on one line. check, if set, looks at each chunk's top-level fields.
func FuzzNext(t *testing.T, st llm.ChunkStream, limit int, check func(chunk []byte, obj map[string]json.RawMessage)) {
	t.Helper()
	for i := 0; ; i++ {
		if i > limit {
			t.Fatalf("Next returned %d chunks, more than %d", i, limit)
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
		if check != nil {
			check(chunk, obj)
		}
	}
}
