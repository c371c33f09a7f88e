package providers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
)

const maxErrorMessage = 1000

// StatusError maps an upstream HTTP error response to a client-facing *llm.Error, keeping the
// provider's message. msgPaths are gjson paths tried in order to find that message.
func StatusError(provider string, resp *http.Response, body []byte, msgPaths ...string) *llm.Error {
	msg := errorMessage(body, msgPaths)
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	if msg == "" {
		msg = "no error message"
	}
	var cause error = fmt.Errorf("%s returned %d: %s", provider, resp.StatusCode, truncate(body, 2000))
	if req := resp.Request; req != nil && req.URL != nil {
		// The address asked, as a transport error names it: a connection test shows it.
		cause = &url.Error{Op: urlOp(req.Method), URL: req.URL.Redacted(), Err: cause}
	}
	e := &llm.Error{Cause: cause, UpstreamStatus: resp.StatusCode}
	switch code := resp.StatusCode; {
	case code == http.StatusBadRequest || code == http.StatusUnprocessableEntity ||
		code == http.StatusRequestEntityTooLarge:
		// The request itself is wrong: another deployment would refuse it too (unless it is
		// only too long for this one's context window).
		e.Status, e.Type, e.Code = http.StatusBadRequest, "invalid_request_error", llm.CodeInvalidRequest
		e.Message = provider + ": " + msg
		e.ContextLength = contextLength(body, msg)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		// Conduit's credentials for this provider are wrong: not the client's fault.
		e.Status, e.Type, e.Code = http.StatusBadGateway, llm.TypeUpstream, llm.CodeUpstreamError
		// Providers echo part of the key they rejected: that part is redacted.
		e.Message = fmt.Sprintf("%s rejected the gateway's credentials (%d): %s", provider, code, redactKeys(msg))
	case code == http.StatusRequestTimeout || code == http.StatusGatewayTimeout:
		e.Status, e.Type, e.Code = http.StatusGatewayTimeout, llm.TypeUpstream, llm.CodeUpstreamTimeout
		e.Message = fmt.Sprintf("%s timed out (%d): %s", provider, code, msg)
		e.Retryable = true
	default: // 404 (model missing on this deployment), 409, 429, 5xx and the rest
		e.Status, e.Type, e.Code = http.StatusBadGateway, llm.TypeUpstream, llm.CodeUpstreamError
		e.Message = fmt.Sprintf("%s returned %d: %s", provider, code, msg)
		e.Retryable = code == http.StatusNotFound || code == http.StatusConflict ||
			code == http.StatusTooManyRequests || code >= 500
		e.RetryAfter = retryAfter(resp.Header)
	}
	return e
}

// urlOp names a method as net/http's url.Error does ("Get", "Post").
func urlOp(method string) string {
	if method == "" {
		return "Get"
	}
	return method[:1] + strings.ToLower(method[1:])
}

// contextMarkers are how providers say a request is longer than the model's context window:
// OpenAI's and Mistral's code, and the wording of OpenAI, Anthropic, Gemini, Mistral, vLLM and
// llama.cpp messages.
var contextMarkers = []string{"context_length_exceeded", "maximum context length", "context window",
	"context length", "prompt is too long", "input is too long", "exceeds the context",
	"too many tokens", "exceed_context_size"}

// contextLength reports whether an error body says the request exceeds the context window.
func contextLength(body []byte, msg string) bool {
	if c := gjson.GetBytes(body, "error.code"); c.Type == gjson.String && c.Str == "context_length_exceeded" {
		return true
	}
	low := strings.ToLower(msg)
	for _, m := range contextMarkers {
		if strings.Contains(low, m) {
			return true
		}
	}
	return false
}

// errorMessage returns the first non-empty string at msgPaths or, failing that, the first
// object or array there as compact JSON (FastAPI-style servers such as Mistral answer a 422
// with {"detail":[{"loc":...,"msg":...}]}), truncated to maxErrorMessage bytes.
func errorMessage(body []byte, msgPaths []string) string {
	if len(msgPaths) == 0 || !gjson.ValidBytes(body) {
		return ""
	}
	for _, p := range msgPaths {
		if r := gjson.GetBytes(body, p); r.Type == gjson.String && r.Str != "" {
			return truncate([]byte(r.Str), maxErrorMessage)
		}
	}
	for _, p := range msgPaths {
		if r := gjson.GetBytes(body, p); r.IsObject() || r.IsArray() {
			var b bytes.Buffer
			if json.Compact(&b, []byte(r.Raw)) == nil {
				return truncate(b.Bytes(), maxErrorMessage)
			}
		}
	}
	return ""
}

// TransportError maps a failed round trip (no response) to an *llm.Error.
func TransportError(provider string, err error) *llm.Error {
	if errors.Is(err, context.Canceled) {
		return llm.ClientClosed(err)
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return llm.UpstreamTimeout(provider+" did not answer in time", err).Retry()
	}
	return llm.Upstream(provider+" could not be reached", err).Retry()
}

// StreamError is an error event received inside an upstream stream.
func StreamError(provider string, data []byte, msgPaths ...string) *llm.Error {
	msg := errorMessage(data, msgPaths)
	if msg == "" {
		msg = "error event in stream"
	}
	return llm.Upstream(provider+": "+msg, fmt.Errorf("%s stream error: %s", provider, truncate(data, 2000)))
}

// maxRetryAfter bounds what an upstream can ask for; larger values are clamped.
const maxRetryAfter = 24 * time.Hour

// retryAfter reads retry-after-ms (OpenAI, Azure) or Retry-After in seconds or as an HTTP date.
// keyLike matches API keys and masked keys as providers echo them ("sk-proj-****abcd").
var keyLike = regexp.MustCompile(`(?i)\b(sk|pk|rk|key|api|condt)[-_][A-Za-z0-9*_.\-]{3,}`)

func redactKeys(msg string) string {
	return keyLike.ReplaceAllStringFunc(msg, func(m string) string {
		if strings.ContainsAny(m, "0123456789*") { // a key, not the words "api-key"
			return "[redacted]"
		}
		return m
	})
}

func retryAfter(h http.Header) time.Duration {
	if d := seconds(h.Get("Retry-After-Ms"), time.Millisecond); d > 0 {
		return d
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if d := seconds(v, time.Second); d > 0 {
		return d
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return min(d, maxRetryAfter)
		}
	}
	return 0
}

// seconds parses a non-negative decimal number of units, clamped to maxRetryAfter; 0 if invalid.
func seconds(v string, unit time.Duration) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" || strings.IndexFunc(v, func(r rune) bool { return (r < '0' || r > '9') && r != '.' }) >= 0 {
		return 0 // also refuses ParseFloat's "Inf", "NaN", hex and exponent forms
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 {
		return 0
	}
	if f >= float64(maxRetryAfter/unit) {
		return maxRetryAfter
	}
	return time.Duration(f * float64(unit))
}

// truncate returns at most n bytes of b (cut at a rune boundary) with "…" when cut.
func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return string(b[:n]) + "…"
}

// StreamCut is an upstream stream that broke or ended before its end marker.
func StreamCut(provider string, err error) *llm.Error {
	if errors.Is(err, context.Canceled) {
		return TransportError(provider, err)
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return llm.UpstreamTimeout(provider+" stream stalled", err)
	}
	return llm.Upstream(provider+" stream ended unexpectedly", err)
}
