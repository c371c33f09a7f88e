package backend

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/conduit-gw/conduit/internal/anthropicapi"
	"github.com/conduit-gw/conduit/internal/gateway"
	"github.com/conduit-gw/conduit/internal/llm"
)

// messages serves Anthropic's Messages API over any provider: the request is translated to
// the canonical (OpenAI) form, routed like any chat, and the answer translated back.
func (s *Server) messages(c echo.Context) error {
	call, err := s.call(c, "messages")
	if err != nil {
		return writeAnthropicError(c, err)
	}
	body, err := s.readBody(c)
	if err != nil {
		return writeAnthropicError(c, s.reject(call, body, err))
	}
	if err := s.enter(c, call); err != nil {
		return writeAnthropicError(c, err)
	}
	defer call.ReleaseCPU()
	req, err := anthropicapi.ParseRequest(body)
	if err != nil {
		return writeAnthropicError(c, s.reject(call, body, err))
	}
	if err := req.Validate(); err != nil {
		return writeAnthropicError(c, s.reject(call, body, err))
	}
	sw := &anthropicStream{sseWriter: sseWriter{c: c, call: call}, t: anthropicapi.NewStreamTranslator(req.Model)}
	res, err := s.o.Gateway.Chat(c.Request().Context(), call, req, sw)
	h := c.Response().Header()
	h.Set("x-conduit-provider", call.Provider)
	call.RateLimit.Headers(h)
	if err != nil {
		if sw.begun {
			return nil
		}
		h.Set("x-conduit-overhead-ms", formatMS(call.OverheadMS(time.Now())))
		return writeAnthropicError(c, err)
	}
	if res == nil {
		return nil
	}
	out, err := anthropicapi.FromChatResponse(res.Body, req.Model)
	if err != nil {
		return writeAnthropicError(c, err)
	}
	h.Set("x-conduit-overhead-ms", formatMS(res.OverheadMS))
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, out)
}

func writeAnthropicError(c echo.Context, err error) error {
	e := llm.AsError(err)
	if ra := e.RetryAfterSeconds(); ra != "" {
		c.Response().Header().Set("Retry-After", ra)
	}
	if e.Status == llm.StatusClientClosed {
		return nil
	}
	return c.Blob(e.Status, echo.MIMEApplicationJSON, anthropicapi.ErrorBody(e))
}

// anthropicStream writes a gateway stream as Anthropic server-sent events.
type anthropicStream struct {
	sseWriter
	t *anthropicapi.StreamTranslator
}

var _ gateway.StreamWriter = (*anthropicStream)(nil)

func (w *anthropicStream) Chunk(data []byte) error {
	events, err := w.t.Chunk(data)
	if err != nil {
		return w.events([]anthropicapi.Event{anthropicapi.ErrorEvent(llm.AsError(err))})
	}
	return w.events(events)
}

func (w *anthropicStream) End(err error) error {
	var evs []anthropicapi.Event
	if err == nil {
		evs, err = w.t.End()
	}
	if err != nil {
		evs = []anthropicapi.Event{anthropicapi.ErrorEvent(llm.AsError(err))}
	}
	if err := w.events(evs); err != nil {
		return err
	}
	return w.Flush()
}

func (w *anthropicStream) events(evs []anthropicapi.Event) error {
	out := w.c.Response()
	for _, ev := range evs {
		if _, err := out.Write([]byte("event: " + ev.Name + "\ndata: ")); err != nil {
			return err
		}
		data := ev.Data
		if !json.Valid(data) {
			data = []byte(`{}`)
		}
		if _, err := out.Write(data); err != nil {
			return err
		}
		if _, err := out.Write(eventEnd); err != nil {
			return err
		}
	}
	return nil
}
