package anthropicapi

import (
	"net/http"
	"testing"

	"github.com/conduit-gw/conduit/internal/llm"
)

func TestErrorBody(t *testing.T) {
	for _, tt := range []struct {
		e    *llm.Error
		want string
	}{
		{llm.InvalidRequest("max_tokens", "max_tokens: Field required"),
			`{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}}`},
		{&llm.Error{Status: 401, Code: llm.CodeInvalidAPIKey, Message: "Invalid API key"},
			`{"type":"error","error":{"type":"authentication_error","message":"Invalid API key"}}`},
		{&llm.Error{Status: 403, Code: llm.CodeModelNotAllowed, Message: "not allowed"},
			`{"type":"error","error":{"type":"permission_error","message":"not allowed"}}`},
		{&llm.Error{Status: 404, Code: llm.CodeModelNotFound, Message: "The model \"x\" does not exist"},
			`{"type":"error","error":{"type":"not_found_error","message":"The model \"x\" does not exist"}}`},
		{&llm.Error{Status: 413, Code: llm.CodeInvalidRequest, Message: "too large"},
			`{"type":"error","error":{"type":"request_too_large","message":"too large"}}`},
		{&llm.Error{Status: 429, Code: llm.CodeRateLimitExceeded, Message: "slow down"},
			`{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}`},
		{&llm.Error{Status: 429, Code: llm.CodeInsufficientQuota, Message: "budget"},
			`{"type":"error","error":{"type":"rate_limit_error","message":"budget"}}`},
		{&llm.Error{Status: 502, Code: llm.CodeUpstreamError, Message: "upstream <b>"},
			`{"type":"error","error":{"type":"api_error","message":"upstream <b>"}}`},
		{&llm.Error{Status: 503, Code: llm.CodeNoHealthyDeployment, Message: "none"},
			`{"type":"error","error":{"type":"overloaded_error","message":"none"}}`},
		{&llm.Error{Status: 504, Code: llm.CodeUpstreamTimeout, Message: "late"},
			`{"type":"error","error":{"type":"timeout_error","message":"late"}}`},
		{&llm.Error{Status: 499, Code: "client_closed", Message: "gone"},
			`{"type":"error","error":{"type":"api_error","message":"gone"}}`},
		{&llm.Error{Status: http.StatusConflict, Message: "c"},
			`{"type":"error","error":{"type":"invalid_request_error","message":"c"}}`},
		{nil, `{"type":"error","error":{"type":"api_error","message":"internal error"}}`},
	} {
		if got := string(ErrorBody(tt.e)); got != tt.want {
			t.Errorf("%+v:\n got %s\nwant %s", tt.e, got, tt.want)
		}
	}
}
