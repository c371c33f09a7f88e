package providers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

const maxErrorMessage = 1000

// StatusError maps an upstream HTTP error response to a client-facing *llm.Error, keeping the
// provider's message. msgPaths are gjson paths tried in order to find that message.
func StatusError(provider string, resp *http.Response, body []byte, msgPaths ...string) *llm.Error {
	msg := ""
	for _, p := range msgPaths {
		if r := gjson.GetBytes(body, p); r.Exists() && r.Type == gjson.String && r.Str != "" {
			msg = r.Str
			break
		}
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	if len(msg) > maxErrorMessage {
		msg = msg[:maxErrorMessage] + "…"
	}
	cause := fmt.Errorf("%s returned %d: %s", provider, resp.StatusCode, truncate(body, 2000))
	e := &llm.Error{Cause: cause}
	switch code := resp.StatusCode; {
	case code == http.StatusBadRequest || code == http.StatusUnprocessableEntity ||
		code == http.StatusRequestEntityTooLarge:
		// The request itself is wrong: another deployment would refuse it too.
		e.Status, e.Type, e.Code = http.StatusBadRequest, "invalid_request_error", llm.CodeInvalidRequest
		e.Message = provider + ": " + msg
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		// Conduit's credentials for this provider are wrong: not the client's fault.
		e.Status, e.Type, e.Code = http.StatusBadGateway, "upstream_error", llm.CodeUpstreamError
		e.Message = fmt.Sprintf("%s rejected the gateway's credentials (%d): %s", provider, code, msg)
	case code == http.StatusRequestTimeout || code == http.StatusGatewayTimeout:
		e.Status, e.Type, e.Code = http.StatusGatewayTimeout, "upstream_error", llm.CodeUpstreamTimeout
		e.Message = fmt.Sprintf("%s timed out (%d): %s", provider, code, msg)
		e.Retryable = true
	default: // 404 (model missing on this deployment), 409, 429, 5xx and the rest
		e.Status, e.Type, e.Code = http.StatusBadGateway, "upstream_error", llm.CodeUpstreamError
		e.Message = fmt.Sprintf("%s returned %d: %s", provider, code, msg)
		e.Retryable = code == http.StatusNotFound || code == http.StatusConflict ||
			code == http.StatusTooManyRequests || code >= 500
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"))
	}
	return e
}

// TransportError maps a failed round trip (no response) to an *llm.Error.
func TransportError(provider string, err error) *llm.Error {
	if errors.Is(err, context.Canceled) {
		return &llm.Error{Status: 499, Type: "client_closed", Code: "client_closed",
			Message: "client closed the request", Cause: err}
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &llm.Error{Status: http.StatusGatewayTimeout, Type: "upstream_error", Code: llm.CodeUpstreamTimeout,
			Message: provider + " did not answer in time", Retryable: true, Cause: err}
	}
	return &llm.Error{Status: http.StatusBadGateway, Type: "upstream_error", Code: llm.CodeUpstreamError,
		Message: provider + " could not be reached", Retryable: true, Cause: err}
}

// StreamError is an error event received inside an upstream stream.
func StreamError(provider string, data []byte, msgPaths ...string) *llm.Error {
	msg := ""
	for _, p := range msgPaths {
		if r := gjson.GetBytes(data, p); r.Exists() && r.Str != "" {
			msg = r.Str
			break
		}
	}
	if msg == "" {
		msg = "error event in stream"
	}
	return &llm.Error{Status: http.StatusBadGateway, Type: "upstream_error", Code: llm.CodeUpstreamError,
		Message: provider + ": " + msg, Cause: fmt.Errorf("%s stream error: %s", provider, truncate(data, 2000))}
}

func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// StreamCut is an upstream stream that broke or ended before its end marker.
func StreamCut(provider string, err error) *llm.Error {
	if errors.Is(err, context.Canceled) {
		return TransportError(provider, err)
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &llm.Error{Status: http.StatusGatewayTimeout, Type: "upstream_error", Code: llm.CodeUpstreamTimeout,
			Message: provider + " stream stalled", Cause: err}
	}
	return &llm.Error{Status: http.StatusBadGateway, Type: "upstream_error", Code: llm.CodeUpstreamError,
		Message: provider + " stream ended unexpectedly", Cause: err}
}
