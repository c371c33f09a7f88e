package anthropicapi

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/conduit-gw/conduit/internal/llm"
)

// FuzzParseRequest feeds arbitrary /v1/messages bodies to the translation into the canonical
// request: a body is refused with a 400 or translated, never a panic, and a translated request
// validates or is refused the same way.
//
//	go test -fuzz=FuzzParseRequest ./internal/anthropicapi/
func FuzzParseRequest(f *testing.F) {
	files, _ := filepath.Glob("testdata/requests/*.json")
	for _, p := range files {
		if filepath.Ext(p[:len(p)-len(".json")]) == ".golden" {
			continue
		}
		f.Add(readFile(f, p))
	}
	f.Add([]byte(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"x","content":[{"type":"image","source":{"type":"url","url":"https://a"}}]}]}]}`))
	f.Add([]byte(`{"model":"m","max_tokens":-1,"system":[{"type":"text","text":1}],"messages":[]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := ParseRequest(body)
		if err != nil {
			if e := llm.AsError(err); e.Status != http.StatusBadRequest {
				t.Fatalf("refused with %d, want 400: %v", e.Status, err)
			}
			return
		}
		if err := req.Validate(); err != nil {
			if e := llm.AsError(err); e.Status != http.StatusBadRequest {
				t.Fatalf("Validate refused with %d, want 400: %v", e.Status, err)
			}
		}
	})
}
