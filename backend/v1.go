package backend

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/gateway"
	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
)

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

// call authenticates the request and builds the gateway call.
func (s *Server) call(c echo.Context, endpoint string) (*gateway.Call, error) {
	p, err := s.o.Gateway.Authenticate(bearer(c.Request()))
	if err != nil {
		return nil, err
	}
	start, _ := c.Get(ctxStart).(time.Time)
	id, _ := c.Get(ctxRequestID).(string)
	return &gateway.Call{RequestID: id, Principal: p, ClientIP: c.RealIP(), Endpoint: endpoint, Start: start}, nil
}

// enter takes an admission slot for Conduit's own work on the request; the gateway gives it
// back as soon as the request waits on an upstream. Past capacity the request is refused
// with a fast 503 instead of slowing every admitted one down.
func (s *Server) enter(c echo.Context, call *gateway.Call) error {
	if s.o.Admission == nil {
		return nil
	}
	release, err := s.o.Admission.Acquire(c.Request().Context())
	if err != nil {
		return overloaded()
	}
	call.SetRelease(release)
	return nil
}

// reject logs a request whose body was refused (the model named in it, if any) and returns
// the error to write.
func (s *Server) reject(call *gateway.Call, body []byte, err error) error {
	return s.o.Gateway.Reject(call, gjson.GetBytes(body, "model").String(), err)
}

// readBody reads a JSON body within the size limit.
func (s *Server) readBody(c echo.Context) ([]byte, error) {
	r := c.Request()
	if r.ContentLength > s.o.MaxBodyBytes {
		return nil, tooLarge(s.o.MaxBodyBytes)
	}
	// One buffer of the announced size, trusted up to 1 MiB so that a header alone cannot
	// reserve memory.
	n := r.ContentLength
	if n > 1<<20 {
		n = -1
	}
	body, err := providers.ReadSized(http.MaxBytesReader(c.Response(), r.Body, s.o.MaxBodyBytes), n)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(s.o.MaxBodyBytes)
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

func (s *Server) listModels(c echo.Context) error {
	call, err := s.call(c, "models")
	if err != nil {
		return writeV1Error(c, err)
	}
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	snap := s.o.Config.Load()
	created := snap.Built.Unix()
	names := s.o.Gateway.Models(call.Principal)
	out := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list", Data: make([]model, 0, len(names))}
	for _, n := range names {
		out.Data = append(out.Data, model{ID: n, Object: "model", Created: created, OwnedBy: "conduit"})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) chatCompletions(c echo.Context) error {
	call, err := s.call(c, "chat/completions")
	if err != nil {
		return writeV1Error(c, err)
	}
	body, err := s.readBody(c)
	if err != nil {
		return writeV1Error(c, s.reject(call, body, err))
	}
	if err := s.enter(c, call); err != nil {
		return writeV1Error(c, err)
	}
	defer call.ReleaseCPU()
	req, err := llm.ParseChatRequest(body)
	if err != nil {
		return writeV1Error(c, s.reject(call, body, err))
	}
	res, err := s.o.Gateway.Chat(c.Request().Context(), call, req, newStreamWriter(c, call, openAIEvents{}))
	c.Response().Header()[hdrProvider] = []string{call.Provider}
	call.RateLimit.Headers(c.Response().Header())
	if err != nil {
		if c.Response().Committed {
			return nil
		}
		c.Response().Header()[hdrOverhead] = []string{formatMS(call.OverheadMS(time.Now()))}
		return writeV1Error(c, err)
	}
	if res == nil { // streamed
		return nil
	}
	return writeJSONBytes(c, res)
}

func (s *Server) embeddings(c echo.Context) error {
	call, err := s.call(c, "embeddings")
	if err != nil {
		return writeV1Error(c, err)
	}
	body, err := s.readBody(c)
	if err != nil {
		return writeV1Error(c, s.reject(call, body, err))
	}
	if err := s.enter(c, call); err != nil {
		return writeV1Error(c, err)
	}
	defer call.ReleaseCPU()
	var req llm.EmbeddingsRequest
	if err := decode(body, &req); err != nil {
		return writeV1Error(c, s.reject(call, body, err))
	}
	if err := req.Validate(); err != nil {
		return writeV1Error(c, s.reject(call, body, err))
	}
	req.Raw = body
	res, err := s.o.Gateway.Embeddings(c.Request().Context(), call, &req)
	return s.finishJSON(c, call, res, err)
}

func (s *Server) imageGenerations(c echo.Context) error {
	call, err := s.call(c, "images/generations")
	if err != nil {
		return writeV1Error(c, err)
	}
	body, err := s.readBody(c)
	if err != nil {
		return writeV1Error(c, s.reject(call, body, err))
	}
	if err := s.enter(c, call); err != nil {
		return writeV1Error(c, err)
	}
	defer call.ReleaseCPU()
	if !gjson.ValidBytes(body) || !gjson.ParseBytes(body).IsObject() {
		return writeV1Error(c, s.reject(call, body, llm.InvalidRequest("", "We could not parse the JSON body of your request.")))
	}
	model := gjson.GetBytes(body, "model")
	if model.Type != gjson.String || model.Str == "" {
		return writeV1Error(c, s.reject(call, body, llm.InvalidRequest("model", "you must provide a model parameter")))
	}
	if p := gjson.GetBytes(body, "prompt"); p.Type != gjson.String || p.Str == "" {
		return writeV1Error(c, s.reject(call, body, llm.InvalidRequest("prompt", "you must provide a prompt")))
	}
	res, err := s.o.Gateway.Images(c.Request().Context(), call, model.Str, body)
	return s.finishJSON(c, call, res, err)
}

func (s *Server) finishJSON(c echo.Context, call *gateway.Call, res *gateway.Result, err error) error {
	c.Response().Header()[hdrProvider] = []string{call.Provider}
	call.RateLimit.Headers(c.Response().Header())
	if err != nil {
		c.Response().Header()[hdrOverhead] = []string{formatMS(call.OverheadMS(time.Now()))}
		return writeV1Error(c, err)
	}
	return writeJSONBytes(c, res)
}

func writeJSONBytes(c echo.Context, res *gateway.Result) error {
	h := c.Response().Header()
	h[hdrOverhead] = []string{formatMS(res.OverheadMS)}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, res.Body)
}
