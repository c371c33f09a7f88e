package llm

import (
	"errors"
	"io"
	"net/http"
	"testing"
)

func TestErrorConstructors(t *testing.T) {
	cause := io.ErrUnexpectedEOF
	tests := []struct {
		name                string
		err                 *Error
		status              int
		typ, code, message  string
		retryable, hasCause bool
	}{
		{"upstream", Upstream("bad answer", cause), http.StatusBadGateway, TypeUpstream, CodeUpstreamError, "bad answer", false, true},
		{"upstream retry", Upstream("empty", nil).Retry(), http.StatusBadGateway, TypeUpstream, CodeUpstreamError, "empty", true, false},
		{"timeout", UpstreamTimeout("too slow", nil), http.StatusGatewayTimeout, TypeUpstream, CodeUpstreamTimeout, "too slow", false, false},
		{"client closed", ClientClosed(cause), StatusClientClosed, CodeClientClosed, CodeClientClosed, "client closed the request", false, true},
		{"internal", Internal("oops"), http.StatusInternalServerError, "server_error", CodeInternalError, "oops", false, false},
		{"anything else", AsError(cause), http.StatusBadGateway, TypeUpstream, CodeUpstreamError, "upstream request failed", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.err
			if e.Status != tt.status || e.Type != tt.typ || e.Code != tt.code || e.Message != tt.message || e.Retryable != tt.retryable {
				t.Errorf("got %d %q %q %q retryable=%v", e.Status, e.Type, e.Code, e.Message, e.Retryable)
			}
			if got := errors.Is(e, cause); got != tt.hasCause {
				t.Errorf("errors.Is(cause) = %v, want %v", got, tt.hasCause)
			}
		})
	}
}
