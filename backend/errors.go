package backend

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/conduit-gw/conduit/internal/llm"
)

// openAIError is OpenAI's error envelope.
type openAIError struct {
	Error openAIErrorBody `json:"error"`
}

type openAIErrorBody struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    string  `json:"code"`
}

func toOpenAIError(e *llm.Error) openAIError {
	body := openAIErrorBody{Message: e.Message, Type: e.Type, Code: e.Code}
	if e.Param != "" {
		p := e.Param
		body.Param = &p
	}
	return openAIError{Error: body}
}

// writeV1Error writes err in OpenAI's shape with its status and Retry-After.
func writeV1Error(c echo.Context, err error) error {
	e, ok := errorToWrite(c, err)
	if !ok {
		return nil
	}
	return c.JSON(e.Status, toOpenAIError(e))
}

// errorToWrite returns err as an *llm.Error and sets its Retry-After header; ok is false when
// the client closed the request: nobody is listening, and the log line stays honest.
func errorToWrite(c echo.Context, err error) (e *llm.Error, ok bool) {
	e = llm.AsError(err)
	if ra := e.RetryAfterSeconds(); ra != "" {
		c.Response().Header().Set("Retry-After", ra)
	}
	return e, e.Status != llm.StatusClientClosed
}

// adminError is the admin API's error envelope.
type adminError struct {
	Error adminErrorBody `json:"error"`
}

type adminErrorBody struct {
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// fieldError is a validation failure of one field (400).
type fieldError struct {
	Field   string
	Message string
}

func (e *fieldError) Error() string { return e.Field + ": " + e.Message }

func invalid(field, msg string) error { return &fieldError{Field: field, Message: msg} }

// statusError is an admin error with a status.
type statusError struct {
	Status  int
	Message string
}

func (e *statusError) Error() string { return strconv.Itoa(e.Status) + " " + e.Message }

func notFound(what string) error {
	return &statusError{Status: http.StatusNotFound, Message: what + " not found"}
}

// adminErrorHandler renders every admin error in the admin shape, and /v1 errors in OpenAI's.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var fe *fieldError
	var se *statusError
	var he *echo.HTTPError
	var le *llm.Error
	var status int
	var body any
	switch {
	case errors.As(err, &le):
		_ = writeV1Error(c, le)
		return
	case errors.As(err, &fe):
		status, body = http.StatusBadRequest, adminError{adminErrorBody{Message: fe.Message, Field: fe.Field}}
	case errors.As(err, &se):
		status, body = se.Status, adminError{adminErrorBody{Message: se.Message}}
	case errors.As(err, &he):
		status = he.Code
		msg := http.StatusText(status)
		if m, ok := he.Message.(string); ok {
			msg = m
		}
		if isV1(c.Request().URL.Path) {
			code := llm.CodeInvalidRequest
			typ := "invalid_request_error"
			if status == http.StatusNotFound {
				msg = "Unknown request URL: " + c.Request().Method + " " + c.Request().URL.Path
			} else if status >= 500 {
				typ, code = "server_error", llm.CodeInternalError
			}
			_ = c.JSON(status, openAIError{openAIErrorBody{Message: msg, Type: typ, Code: code}})
			return
		}
		body = adminError{adminErrorBody{Message: msg}}
	default:
		s.log.Error("internal error", "path", c.Request().URL.Path, "err", err)
		status, body = http.StatusInternalServerError, adminError{adminErrorBody{Message: "internal error"}}
		if isV1(c.Request().URL.Path) {
			body = toOpenAIError(llm.Internal("internal error"))
		}
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, body)
}

func isV1(path string) bool { return len(path) >= 3 && path[:3] == "/v1" }
