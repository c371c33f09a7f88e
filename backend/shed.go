package backend

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/conduit-gw/conduit/internal/anthropicapi"
	"github.com/conduit-gw/conduit/internal/ids"
	"github.com/conduit-gw/conduit/internal/llm"
)

// Shedder says, per request, whether Conduit is past capacity and should turn it away
// (internal/admission.Pressure).
type Shedder interface {
	Refuse() bool
}

// overloaded is the error of a shed request.
func overloaded() *llm.Error {
	e := llm.Errorf(http.StatusServiceUnavailable, "server_error", "server_overloaded",
		"Conduit is at capacity; retry shortly")
	e.RetryAfter = time.Second
	return e
}

// shedding answers /v1 requests with a 503 while the Shedder says so, before anything else
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
		if !strings.HasPrefix(r.URL.Path, "/v1/") || !sh.Refuse() {
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
