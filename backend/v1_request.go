package backend

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tidwall/gjson"
	"go.opentelemetry.io/otel/trace"

	"github.com/conduit-gw/conduit/internal/gateway"
	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

// admitRequest runs the prologue every /v1 request with a body shares: authenticate, read the
// body within the size limit, take an admission slot for Conduit's own work on it, and parse
// it. The slot is given back once parse returns: from there on the request mostly waits on
// upstreams. A request refused for its body is logged like any other (Gateway.Reject) under
// the model its body names.
func admitRequest[T any](s *Server, c echo.Context, endpoint string, parse func(body []byte) (T, error)) (*gateway.Call, T, error) {
	return admitWithin(s, c, endpoint, s.o.MaxBodyBytes, parse)
}

// admitWithin is admitRequest with a body limit of its own.
func admitWithin[T any](s *Server, c echo.Context, endpoint string, limit int64, parse func(body []byte) (T, error)) (*gateway.Call, T, error) {
	var zero T
	call, err := s.call(c, endpoint)
	if err != nil {
		return nil, zero, err
	}
	body, err := s.readBody(c, limit)
	if err != nil {
		return nil, zero, s.reject(c, call, body, err)
	}
	release, err := s.enter(c)
	if err != nil {
		return nil, zero, err
	}
	defer release()
	v, err := parse(body)
	if err != nil {
		return nil, zero, s.reject(c, call, body, err)
	}
	return call, v, nil
}

// call authenticates the request and builds the gateway call.
func (s *Server) call(c echo.Context, endpoint string) (*gateway.Call, error) {
	ip := c.RealIP()
	if e := s.throttled(ip); e != nil {
		return nil, e
	}
	tok := bearer(c.Request())
	p, err := s.o.Gateway.Authenticate(c.Request().Context(), tok)
	if err != nil {
		if tok != "" && llm.AsError(err).Code == llm.CodeInvalidAPIKey {
			s.authFailed(c, ip, actorVirtualKey, "virtual key")
		}
		return nil, err
	}
	id, start := v1Request(c)
	h := c.Request().Header
	call := &gateway.Call{RequestID: id, Principal: p, ClientIP: ip, Endpoint: endpoint, Start: start,
		CacheControlHeader: firstValue(h, "Cache-Control"), CacheTTLHeader: firstValue(h, hdrCacheTTL)}
	if s.o.Tracing != nil {
		call.Span = trace.SpanFromContext(c.Request().Context())
	}
	return call, nil
}

// firstValue is h.Get(key) for a key already in canonical form (no canonicalising).
func firstValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// bearer extracts the client's key from Authorization: Bearer, api-key or x-api-key.
func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			return strings.TrimSpace(h[7:])
		}
		return ""
	}
	if k := r.Header.Get("api-key"); k != "" {
		return k
	}
	return r.Header.Get("x-api-key")
}

// enter takes an admission slot for Conduit's own work on the request. Past capacity the
// request is refused with a fast 503 instead of slowing every admitted one down.
func (s *Server) enter(c echo.Context) (release func(), err error) {
	if s.o.Admission == nil {
		return func() {}, nil
	}
	release, err = s.o.Admission.Acquire(c.Request().Context())
	if err != nil {
		return nil, overloaded()
	}
	return release, nil
}

// reject logs a request whose body was refused (the model named in it, if any) and returns
// the error to write.
func (s *Server) reject(c echo.Context, call *gateway.Call, body []byte, err error) error {
	return s.o.Gateway.Reject(c.Request().Context(), call, gjson.GetBytes(body, "model").String(), err)
}

// readBody reads a body within the size limit.
func (s *Server) readBody(c echo.Context, limit int64) ([]byte, error) {
	r := c.Request()
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	// One buffer of the announced size, trusted up to 1 MiB so that a header alone cannot
	// reserve memory.
	n := r.ContentLength
	if n > 1<<20 {
		n = -1
	}
	body, err := providers.ReadSized(http.MaxBytesReader(c.Response(), r.Body, limit), n)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(limit)
		}
		return nil, llm.InvalidRequest("", "could not read the request body")
	}
	if len(body) == 0 {
		return nil, llm.InvalidRequest("", "the request body is empty; send a JSON object")
	}
	return body, nil
}

func tooLarge(limit int64) *llm.Error {
	e := llm.InvalidRequest("", "request body is larger than the limit of "+humanBytes(limit))
	e.Status = http.StatusRequestEntityTooLarge
	return e
}

// decode parses a JSON body into v, naming the offending field on a type error.
func decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return llm.InvalidRequest(te.Field, "invalid type for '"+te.Field+"': expected "+te.Type.String())
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return llm.InvalidRequest("", "We could not parse the JSON body of your request: "+se.Error())
		}
		return llm.InvalidRequest("", "invalid request body: "+err.Error())
	}
	return nil
}

// parseEmbeddings parses and validates an embeddings request.
func parseEmbeddings(body []byte) (*llm.EmbeddingsRequest, error) {
	var req llm.EmbeddingsRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	req.Raw = body
	return &req, nil
}

// imageRequest is an image generation request: the client's JSON and the model it names.
type imageRequest struct {
	body  []byte
	model string
}

// defaultModerationModel is the alias a moderation request without a model asks for, as
// OpenAI's API defaults it.
const defaultModerationModel = "omni-moderation-latest"

// parseModerationRequest checks a moderation request (input required, model defaulted); the
// body goes upstream as it is, with the model set.
func parseModerationRequest(body []byte) (imageRequest, error) {
	if !llm.ValidObject(body) {
		return imageRequest{}, llm.InvalidRequest("", "We could not parse the JSON body of your request.")
	}
	if in := gjson.GetBytes(body, "input"); !in.Exists() || in.Type == gjson.Null || in.Str == "" && in.Type == gjson.String {
		return imageRequest{}, llm.InvalidRequest("input", "you must provide an input")
	}
	model := gjson.GetBytes(body, "model")
	if !model.Exists() {
		return imageRequest{body: body, model: defaultModerationModel}, nil
	}
	if model.Type != gjson.String || model.Str == "" {
		return imageRequest{}, llm.InvalidRequest("model", "model must be a model name")
	}
	return imageRequest{body: body, model: model.Str}, nil
}

// parseImageRequest checks an image generation request; the body goes upstream as it is.
func parseImageRequest(body []byte) (imageRequest, error) {
	if !llm.ValidObject(body) {
		return imageRequest{}, llm.InvalidRequest("", "We could not parse the JSON body of your request.")
	}
	model := gjson.GetBytes(body, "model")
	if model.Type != gjson.String || model.Str == "" {
		return imageRequest{}, llm.InvalidRequest("model", "you must provide a model parameter")
	}
	if p := gjson.GetBytes(body, "prompt"); p.Type != gjson.String || p.Str == "" {
		return imageRequest{}, llm.InvalidRequest("prompt", "you must provide a prompt")
	}
	return imageRequest{body: body, model: model.Str}, nil
}
