package backend

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type shedAll bool

func (s shedAll) Admit(context.Context) bool { return !bool(s) }
func (s shedAll) Leave()                     {}

func TestSheddingAtTheDoor(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})
	tests := []struct {
		name, path string
		shed       shedAll
		status     int
		errType    string // OpenAI error.code, or Anthropic error.type
	}{
		{"chat", "/v1/chat/completions", true, 503, "server_overloaded"},
		{"embeddings", "/v1/embeddings", true, 503, "server_overloaded"},
		{"models", "/v1/models", true, 503, "server_overloaded"},
		{"anthropic", "/v1/messages", true, 503, "overloaded_error"},
		{"admin never", "/admin/keys", true, http.StatusTeapot, ""},
		{"ui never", "/", true, http.StatusTeapot, ""},
		{"not overloaded", "/v1/chat/completions", false, http.StatusTeapot, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			body := strings.NewReader(`{"model":"gpt","messages":[]}`)
			shedding(tt.shed, next).ServeHTTP(rec, httptest.NewRequest("POST", tt.path, body))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			if tt.errType == "" {
				return
			}
			h := rec.Header()
			if h.Get("Retry-After") != "1" || !strings.HasPrefix(h.Get("x-request-id"), "req_") ||
				h.Get("Content-Type") != "application/json" {
				t.Fatalf("headers %v", h)
			}
			var out struct {
				Type  string `json:"type"`
				Error struct {
					Type, Code, Message string
				} `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatalf("%s: %v", rec.Body, err)
			}
			got := out.Error.Code
			if tt.path == "/v1/messages" {
				if out.Type != "error" {
					t.Fatalf("anthropic envelope: %s", rec.Body)
				}
				got = out.Error.Type
			}
			if got != tt.errType || out.Error.Message == "" {
				t.Fatalf("body %s", rec.Body)
			}
		})
	}
}
