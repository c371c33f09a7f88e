package llm

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Error codes of the client API (docs/API.md).
const (
	CodeInvalidAPIKey       = "invalid_api_key"
	CodeKeyDisabled         = "key_disabled"
	CodeKeyExpired          = "key_expired"
	CodeModelNotAllowed     = "model_not_allowed"
	CodeModelNotFound       = "model_not_found"
	CodeInvalidRequest      = "invalid_request"
	CodeRateLimitExceeded   = "rate_limit_exceeded"
	CodeInsufficientQuota   = "insufficient_quota"
	CodeUpstreamError       = "upstream_error"
	CodeNoHealthyDeployment = "no_healthy_deployment"
	CodeUpstreamTimeout     = "upstream_timeout"
	CodeClientClosed        = "client_closed"
	CodeInternalError       = "internal_error"
)

// TypeUpstream is the error type of failures on the upstream's side (502, 503, 504).
const TypeUpstream = "upstream_error"

// StatusClientClosed is the status logged for a request whose client went away before the
// answer was complete (nginx's 499). Nothing is written back: nobody is listening.
const StatusClientClosed = 499

// Error is a client-facing error with a private cause. Message is safe to show to the client;
// Cause may hold upstream bodies or internals and is only logged.
type Error struct {
	Status  int
	Type    string
	Code    string
	Message string
	Param   string
	// RetryAfter, when positive, is sent as the Retry-After header.
	RetryAfter time.Duration
	// Retryable marks upstream failures the router may retry elsewhere.
	Retryable bool
	// UpstreamStatus is the HTTP status the upstream answered with (0: it did not answer).
	UpstreamStatus int
	// ContextLength marks a request the upstream refused as longer than its context window:
	// it goes to a larger-context deployment, never to the same one again.
	ContextLength bool
	Cause         error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Message + ": " + e.Cause.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// AsError returns err as an *Error, wrapping anything else as a 502 upstream_error.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Upstream("upstream request failed", err)
}

// Upstream is a 502 upstream_error: the upstream failed or answered something unusable. msg
// is shown to the client; cause (which may hold the upstream's body) is only logged.
func Upstream(msg string, cause error) *Error {
	return &Error{Status: http.StatusBadGateway, Type: TypeUpstream, Code: CodeUpstreamError, Message: msg, Cause: cause}
}

// UpstreamTimeout is a 504 upstream_timeout: the upstream did not answer, or went quiet, within
// its limit.
func UpstreamTimeout(msg string, cause error) *Error {
	return &Error{Status: http.StatusGatewayTimeout, Type: TypeUpstream, Code: CodeUpstreamTimeout, Message: msg, Cause: cause}
}

// Internal is a 500 server_error: Conduit itself failed. msg is shown to the client.
func Internal(msg string) *Error {
	return &Error{Status: http.StatusInternalServerError, Type: "server_error", Code: CodeInternalError, Message: msg}
}

// ClientClosed is the error of a request whose client went away (StatusClientClosed).
func ClientClosed(cause error) *Error {
	return &Error{Status: StatusClientClosed, Type: CodeClientClosed, Code: CodeClientClosed,
		Message: "client closed the request", Cause: cause}
}

// Retry marks e as a failure another attempt may not meet (Retryable) and returns it.
func (e *Error) Retry() *Error {
	e.Retryable = true
	return e
}

// RetryAfterSeconds formats RetryAfter for the header, rounding up; "" when unset.
func (e *Error) RetryAfterSeconds() string {
	if e.RetryAfter <= 0 {
		return ""
	}
	s := int64(e.RetryAfter / time.Second) // not (d + 1s - 1) / 1s: that overflows near the max
	if e.RetryAfter%time.Second != 0 {
		s++
	}
	return strconv.FormatInt(s, 10)
}

// InvalidRequest is a 400 naming the offending parameter.
func InvalidRequest(param, msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: CodeInvalidRequest,
		Message: msg, Param: param}
}

// Errorf builds an *Error with a formatted public message.
func Errorf(status int, typ, code, format string, args ...any) *Error {
	return &Error{Status: status, Type: typ, Code: code, Message: fmt.Sprintf(format, args...)}
}
