package providers

import (
	"net/http"
)

// Send performs req with client. When a pooled keep-alive connection turns out to have been
// closed by the upstream (typically after the upstream restarted) and the request failed
// before any response byte arrived, it is sent again instead of failing: net/http resends
// such a request over another connection only when it is marked idempotent, which Send does
// for a body that can be replayed (GetBody set, as http.NewRequest does for in-memory bodies).
// Each dead connection leaves the pool as it fails, so the resends reach a fresh one.
func Send(client *http.Client, req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody || req.GetBody != nil {
		markReplayable(req.Header)
	}
	return client.Do(req)
}

// idempotencyKey is the header net/http takes as the mark of an idempotent request; with
// no value it marks the request without being sent.
const idempotencyKey = "X-Idempotency-Key"

// markReplayable marks a request net/http may resend over a fresh connection when a pooled
// one was dead, unless the request already carries an idempotency key of its own.
func markReplayable(h http.Header) {
	if _, ok := h["Idempotency-Key"]; ok {
		return
	}
	if _, ok := h[idempotencyKey]; !ok {
		h[idempotencyKey] = nil
	}
}
