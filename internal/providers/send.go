package providers

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/url"
)

// Send performs req with client. When a pooled keep-alive connection turns out to have been
// closed by the upstream (typically after the upstream restarted) and the request failed
// before any response byte arrived, it is sent again instead of failing: net/http resends
// such a request over another connection only when it is marked idempotent, which Send does
// for a body that can be replayed (GetBody set, as http.NewRequest does for in-memory bodies).
// Each dead connection leaves the pool as it fails, so the resends reach a fresh one.
//
// A client with nothing to add to a round trip (no cookie jar, no timeout, no credentials in
// the URL) is bypassed for its transport: http.Client would copy the request's headers for
// redirects an upstream API never sends. An answer that is a redirect after all is dropped
// and the request sent again through the client, which follows it as its policy says.
func Send(client *http.Client, req *http.Request) (*http.Response, error) {
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	if replayable {
		markReplayable(req.Header)
	}
	rt := client.Transport
	if rt == nil || !replayable || client.Jar != nil || client.Timeout != 0 || req.URL.User != nil {
		return client.Do(req)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return nil, roundTripError(req, err)
	}
	if !isRedirect(resp) {
		return resp, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, roundTripError(req, err)
		}
		req.Body = body
	}
	return client.Do(req)
}

// roundTripError is err as http.Client reports a failed request: a *url.Error naming the
// method and address, and a TLS handshake answered in plain HTTP as http.ErrSchemeMismatch.
func roundTripError(req *http.Request, err error) error {
	if tlsErr, ok := err.(tls.RecordHeaderError); ok && string(tlsErr.RecordHeader[:]) == "HTTP/" {
		err = http.ErrSchemeMismatch
	}
	return &url.Error{Op: urlOp(req.Method), URL: req.URL.String(), Err: err}
}

// isRedirect reports whether http.Client would follow resp.
func isRedirect(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return resp.Header.Get("Location") != ""
	}
	return false
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
