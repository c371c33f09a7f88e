package backend

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/conduit-gw/conduit/internal/gateway"
	"github.com/conduit-gw/conduit/internal/llm"
)

func (s *Server) listModels(c echo.Context) error {
	call, err := s.call(c, "models")
	if err != nil {
		return err
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
	call, req, err := admitRequest(s, c, "chat/completions", llm.ParseChatRequest)
	if err != nil {
		return err
	}
	res, err := s.o.Gateway.Chat(c.Request().Context(), call, req, newStreamWriter(c, call, openAIEvents{}))
	return reply(c, call, res, err)
}

func (s *Server) embeddings(c echo.Context) error {
	call, req, err := admitRequest(s, c, "embeddings", parseEmbeddings)
	if err != nil {
		return err
	}
	res, err := s.o.Gateway.Embeddings(c.Request().Context(), call, req)
	return reply(c, call, res, err)
}

func (s *Server) imageGenerations(c echo.Context) error {
	call, req, err := admitRequest(s, c, "images/generations", parseImageRequest)
	if err != nil {
		return err
	}
	res, err := s.o.Gateway.Images(c.Request().Context(), call, req.model, req.body)
	return reply(c, call, res, err)
}

func (s *Server) moderations(c echo.Context) error {
	call, req, err := admitRequest(s, c, "moderations", parseModerationRequest)
	if err != nil {
		return err
	}
	res, err := s.o.Gateway.Moderations(c.Request().Context(), call, req.model, req.body)
	return reply(c, call, res, err)
}

// reply finishes a /v1 answer: the headers every answer carries, then res, or err in the
// API's error shape (returned to the route's apiErrors). A streamed answer (res nil) went out
// through the stream writer, and a failure after it began is in the stream.
func reply(c echo.Context, call *gateway.Call, res *gateway.Result, err error) error {
	if c.Response().Committed {
		return nil
	}
	h := c.Response().Header()
	h[hdrProvider] = []string{call.Provider}
	if call.Fallback != "" {
		h[hdrFallback] = []string{call.Fallback}
	}
	setRateLimitHeaders(h, call.RateLimit)
	if err != nil {
		h[hdrOverhead] = []string{formatMS(call.OverheadMS(time.Now()))}
		return err
	}
	if res == nil {
		return nil
	}
	h[hdrOverhead] = []string{formatMS(res.OverheadMS)}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, res.Body)
}
