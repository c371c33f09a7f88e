package backend

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/conduit-gw/conduit/internal/anthropicapi"
	"github.com/conduit-gw/conduit/internal/ids"
	"github.com/conduit-gw/conduit/internal/llm"
)

// Shedder lets a /v1 request in, or says Conduit is past capacity and it is turned away
// (internal/admission.Door). An admitted request calls Leave when done.
type Shedder interface {
	Admit(ctx context.Context) bool
	Leave()
}

// overloaded is the error of a shed request.
func overloaded() *llm.Error {
	e := llm.Errorf(http.StatusServiceUnavailable, "server_error", "server_overloaded",
		"Conduit is at capacity; retry shortly")
	e.RetryAfter = time.Second
	return e
}

// shedding answers /v1 requests with a 503 when the Shedder refuses them, before anything else
// is spent on them: no body read, no key lookup, no routing, a body encoded once. Past
// capacity a refusal must cost far less than the work it saves. Admin and UI requests are
// never shed.
func shedding(sh Shedder, next http.Handler) http.Handler {
	e := overloaded()
	openAI, _ := json.Marshal(toOpenAIError(e))
	anthropic := anthropicapi.ErrorBody(e)
	retry := []string{e.RetryAfterSeconds()}
	jsonType := []string{"application/json"}
	zero := []string{"0"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/") {
			next.ServeHTTP(w, r)
			return
		}
		if sh.Admit(r.Context()) {
			defer sh.Leave()
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h["Content-Type"] = jsonType
		h["Retry-After"] = retry
		h[hdrRequestID] = []string{ids.NewTimed("req", time.Now())}
		h[hdrProvider] = []string{""}
		h[hdrOverhead] = zero
		w.WriteHeader(e.Status)
		if r.URL.Path == "/v1/messages" {
			_, _ = w.Write(anthropic)
		} else {
			_, _ = w.Write(openAI)
		}
	})
}
