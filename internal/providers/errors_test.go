package providers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/conduit-gw/conduit/internal/llm"
)

var paths = []string{"error.message", "message", "error", "detail"}

func resp(status int, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &http.Response{StatusCode: status, Header: h}
}

func TestStatusErrorTable(t *testing.T) {
	for _, tt := range []struct {
		status     int
		wantStatus int
		wantCode   string
		retryable  bool
	}{
		{400, 400, llm.CodeInvalidRequest, false},
		{413, 400, llm.CodeInvalidRequest, false},
		{422, 400, llm.CodeInvalidRequest, false},
		{401, 502, llm.CodeUpstreamError, false},
		{403, 502, llm.CodeUpstreamError, false},
		{404, 502, llm.CodeUpstreamError, true},
		{405, 502, llm.CodeUpstreamError, false},
		{408, 504, llm.CodeUpstreamTimeout, true},
		{409, 502, llm.CodeUpstreamError, true},
		{429, 502, llm.CodeUpstreamError, true},
		{500, 502, llm.CodeUpstreamError, true},
		{502, 502, llm.CodeUpstreamError, true},
		{503, 502, llm.CodeUpstreamError, true},
		{504, 504, llm.CodeUpstreamTimeout, true},
		{599, 502, llm.CodeUpstreamError, true},
		{302, 502, llm.CodeUpstreamError, false},
	} {
		e := StatusError("p", resp(tt.status), []byte(`{"error":{"message":"boom"}}`), paths...)
		if e.Status != tt.wantStatus || e.Code != tt.wantCode || e.Retryable != tt.retryable {
			t.Errorf("%d → %d %s retryable=%v; want %d %s %v", tt.status, e.Status, e.Code, e.Retryable, tt.wantStatus, tt.wantCode, tt.retryable)
		}
		if !strings.Contains(e.Message, "boom") || e.Cause == nil || !strings.Contains(e.Cause.Error(), `{"error":{"message":"boom"}}`) {
			t.Errorf("%d: message %q cause %v", tt.status, e.Message, e.Cause)
		}
	}
}

func TestStatusErrorMessage(t *testing.T) {
	for _, tt := range []struct {
		body, want string
	}{
		{`{"error":{"message":"m1","type":"x"}}`, "p: m1"},
		{`{"message":"m2"}`, "p: m2"},
		{`{"error":"m3"}`, "p: m3"},
		{`{"detail":"m4"}`, "p: m4"},
		{`{"error":{"message":""},"message":"m5"}`, "p: m5"},
		{`{"error":{"message":null},"detail":"m6"}`, "p: m6"},
		{`{"error":{"code":"x"}}`, `p: {"code":"x"}`},
		{`{"detail":[{"loc":["body","n"],"msg":"must be >= 1"}]}`, `p: [{"loc":["body","n"],"msg":"must be >= 1"}]`},
		{`{"detail": [ {"msg" : "spaced"} ]}`, `p: [{"msg":"spaced"}]`},
		{`{"error":{"message":5}}`, `p: {"message":5}`},
		{`{}`, "p: Bad Request"},
		{``, "p: Bad Request"},
		{`not json "message":"x"`, "p: Bad Request"},
		{`{"error":{"message":"unterminated`, "p: Bad Request"},
	} {
		if e := StatusError("p", resp(400), []byte(tt.body), paths...); e.Message != tt.want {
			t.Errorf("%s → %q, want %q", tt.body, e.Message, tt.want)
		}
	}
	if e := StatusError("p", resp(599), nil, paths...); e.Message != "p returned 599: no error message" {
		t.Errorf("unknown status: %q", e.Message)
	}
	long := strings.Repeat("ab€", 600)
	e := StatusError("p", resp(400), []byte(`{"error":{"message":"`+long+`"}}`), paths...)
	if !utf8.ValidString(e.Message) || len(e.Message) > len("p: ")+maxErrorMessage+len("…") || !strings.HasSuffix(e.Message, "…") {
		t.Errorf("long message: %d bytes, valid %v", len(e.Message), utf8.ValidString(e.Message))
	}
	big := []byte(`{"error":{"message":"x"},"pad":"` + strings.Repeat("z", 5000) + `"}`)
	if c := StatusError("p", resp(500), big, paths...).Cause.Error(); len(c) > 2100 {
		t.Errorf("cause of %d bytes", len(c))
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Now()
	for _, tt := range []struct {
		header   []string
		min, max time.Duration
	}{
		{nil, 0, 0},
		{[]string{"Retry-After", "7"}, 7 * time.Second, 7 * time.Second},
		{[]string{"Retry-After", " 7 "}, 7 * time.Second, 7 * time.Second},
		{[]string{"Retry-After", "1.5"}, 1500 * time.Millisecond, 1500 * time.Millisecond},
		{[]string{"Retry-After", "0"}, 0, 0},
		{[]string{"Retry-After", "-5"}, 0, 0},
		{[]string{"Retry-After", "NaN"}, 0, 0},
		{[]string{"Retry-After", "Inf"}, 0, 0},
		{[]string{"Retry-After", "1e3"}, 0, 0},
		{[]string{"Retry-After", "0x10"}, 0, 0},
		{[]string{"Retry-After", "soon"}, 0, 0},
		{[]string{"Retry-After", "99999999999999999999"}, maxRetryAfter, maxRetryAfter},
		{[]string{"Retry-After", now.Add(90 * time.Second).UTC().Format(http.TimeFormat)}, 88 * time.Second, 90 * time.Second},
		{[]string{"Retry-After", now.Add(-time.Hour).UTC().Format(http.TimeFormat)}, 0, 0},
		{[]string{"Retry-After", now.Add(400 * 24 * time.Hour).UTC().Format(http.TimeFormat)}, maxRetryAfter, maxRetryAfter},
		{[]string{"Retry-After-Ms", "250"}, 250 * time.Millisecond, 250 * time.Millisecond},
		{[]string{"Retry-After-Ms", "250.5", "Retry-After", "1"}, 250500 * time.Microsecond, 250500 * time.Microsecond},
		{[]string{"Retry-After-Ms", "bad", "Retry-After", "1"}, time.Second, time.Second},
		{[]string{"Retry-After-Ms", "0", "Retry-After", "3"}, 3 * time.Second, 3 * time.Second},
	} {
		e := StatusError("p", resp(429, tt.header...), nil)
		if e.RetryAfter < tt.min || e.RetryAfter > tt.max {
			t.Errorf("%q → %v, want %v..%v", tt.header, e.RetryAfter, tt.min, tt.max)
		}
		if s := e.RetryAfterSeconds(); tt.max > 0 && (s == "" || strings.HasPrefix(s, "-")) {
			t.Errorf("%q → header %q", tt.header, s)
		}
	}
	// Only the retryable 5xx/429 family carries it.
	if e := StatusError("p", resp(400, "Retry-After", "5"), nil); e.RetryAfter != 0 {
		t.Errorf("400 with RetryAfter %v", e.RetryAfter)
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

var _ net.Error = timeoutErr{}

func TestTransportError(t *testing.T) {
	for _, tt := range []struct {
		err        error
		wantStatus int
		wantCode   string
		retryable  bool
	}{
		{context.Canceled, 499, "client_closed", false},
		{fmt.Errorf("Post \"http://x\": %w", context.Canceled), 499, "client_closed", false},
		{context.DeadlineExceeded, 504, llm.CodeUpstreamTimeout, true},
		{&net.OpError{Op: "read", Err: timeoutErr{}}, 504, llm.CodeUpstreamTimeout, true},
		{os.ErrDeadlineExceeded, 504, llm.CodeUpstreamTimeout, true},
		{&net.OpError{Op: "dial", Err: errors.New("connect: connection refused")}, 502, llm.CodeUpstreamError, true},
		{io.ErrUnexpectedEOF, 502, llm.CodeUpstreamError, true},
	} {
		e := TransportError("p", tt.err)
		if e.Status != tt.wantStatus || e.Code != tt.wantCode || e.Retryable != tt.retryable || !errors.Is(e, tt.err) {
			t.Errorf("%v → %d %s retryable=%v", tt.err, e.Status, e.Code, e.Retryable)
		}
	}
}

func TestStreamCutAndError(t *testing.T) {
	for _, tt := range []struct {
		err        error
		wantStatus int
		wantCode   string
		msg        string
	}{
		{io.ErrUnexpectedEOF, 502, llm.CodeUpstreamError, "p stream ended unexpectedly"},
		{context.Canceled, 499, "client_closed", "client closed the request"},
		{context.DeadlineExceeded, 504, llm.CodeUpstreamTimeout, "p stream stalled"},
		{timeoutErr{}, 504, llm.CodeUpstreamTimeout, "p stream stalled"},
	} {
		e := StreamCut("p", tt.err)
		if e.Status != tt.wantStatus || e.Code != tt.wantCode || e.Message != tt.msg || e.Retryable || !errors.Is(e, tt.err) {
			t.Errorf("%v → %+v", tt.err, e)
		}
	}
	for data, want := range map[string]string{
		`{"error":{"message":"overloaded","type":"server_error"}}`: "p: overloaded",
		`{"error":"busy"}`:                       "p: busy",
		`{"error":{"code":502}}`:                 `p: {"code":502}`,
		`{"message":"m"}`:                        "p: m",
		`not json`:                               "p: error event in stream",
		``:                                       "p: error event in stream",
		`{"error":{"message":"` + "\xff" + `"}}`: "p: \xff",
	} {
		e := StreamError("p", []byte(data), "error.message", "message", "error")
		if e.Status != 502 || e.Code != llm.CodeUpstreamError || e.Message != want || e.Retryable {
			t.Errorf("%s → %+v, want message %q", data, e, want)
		}
	}
}

func TestTruncate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "abc…"},
		{"ab€", 3, "ab…"},
		{"ab€", 4, "ab…"},
		{"ab€", 5, "ab€"},
		{"€€", 1, "…"},
		{"", 0, ""},
	} {
		if got := truncate([]byte(tt.in), tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestCredentialErrorsRedactKeys(t *testing.T) {
	for _, body := range []string{
		`{"error":{"message":"Incorrect API key provided: sk-proj-********************abcd. You can find your API key at https://platform.openai.com/account/api-keys."}}`,
		`{"error":{"message":"invalid x-api-key: sk-ant-api03-abc123"}}`,
	} {
		e := StatusError("p", &http.Response{StatusCode: 401, Header: http.Header{}}, []byte(body), "error.message")
		if strings.Contains(e.Message, "abcd") || strings.Contains(e.Message, "abc123") || !strings.Contains(e.Message, "[redacted]") {
			t.Errorf("message %q leaks the key", e.Message)
		}
	}
}
