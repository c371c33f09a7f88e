package anthropicapi

import (
	"net/http"

	"github.com/conduit-gw/conduit/internal/llm"
)

// ErrorBody renders e in Anthropic's error shape,
// {"type":"error","error":{"type":...,"message":...}}, with the type Anthropic uses for its
// HTTP status. The HTTP status to send stays e.Status.
func ErrorBody(e *llm.Error) []byte {
	if e == nil {
		e = &llm.Error{Status: http.StatusInternalServerError, Message: "internal error"}
	}
	var v struct {
		Type  string `json:"type"`
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	v.Type, v.Error.Type, v.Error.Message = "error", errorType(e.Status), e.Message
	b, _ := marshal(&v) // two strings: cannot fail
	return b
}

// errorType maps an HTTP status to Anthropic's error type.
func errorType(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return "invalid_request_error"
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusPaymentRequired:
		return "billing_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case http.StatusServiceUnavailable, 529:
		return "overloaded_error"
	case http.StatusGatewayTimeout:
		return "timeout_error"
	}
	if status >= 400 && status < 500 && status != llm.StatusClientClosed {
		return "invalid_request_error"
	}
	return "api_error"
}

// marshal is llm.Encode: JSON without HTML escaping, on one line.
func marshal(v any) ([]byte, error) { return llm.Encode(v) }
