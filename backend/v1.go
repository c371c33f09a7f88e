package backend

import (
	"cmp"
	"context"
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
	return serveV1(s, c, "chat/completions", llm.ParseChatRequest,
		func(ctx context.Context, call *gateway.Call, req *llm.ChatRequest) (*gateway.Result, error) {
			return s.o.Gateway.Chat(ctx, call, req, newChatWriter(c, call))
		})
}

func (s *Server) embeddings(c echo.Context) error {
	return serveV1(s, c, "embeddings", parseEmbeddings, s.o.Gateway.Embeddings)
}

func (s *Server) imageGenerations(c echo.Context) error {
	return serveV1(s, c, "images/generations", parseImageRequest,
		func(ctx context.Context, call *gateway.Call, req imageRequest) (*gateway.Result, error) {
			return s.o.Gateway.Images(ctx, call, req.model, req.body)
		})
}

func (s *Server) moderations(c echo.Context) error {
	return serveV1(s, c, "moderations", parseModerationRequest,
		func(ctx context.Context, call *gateway.Call, req imageRequest) (*gateway.Result, error) {
			return s.o.Gateway.Moderations(ctx, call, req.model, req.body)
		})
}

// serveV1 serves a /v1 request that parse reads and answer answers (whole, or streamed
// through a stream writer of its own, then with a nil result).
func serveV1[T any](s *Server, c echo.Context, endpoint string, parse func(body []byte) (T, error),
	answer func(ctx context.Context, call *gateway.Call, req T) (*gateway.Result, error)) error {
	return serveWithin(s, c, endpoint, s.o.MaxBodyBytes, parse, answer)
}

// serveWithin is serveV1 with a body limit of its own.
func serveWithin[T any](s *Server, c echo.Context, endpoint string, limit int64, parse func(body []byte) (T, error),
	answer func(ctx context.Context, call *gateway.Call, req T) (*gateway.Result, error)) error {
	call, req, err := admitWithin(s, c, endpoint, limit, parse)
	if err != nil {
		return err
	}
	res, err := answer(c.Request().Context(), call, req)
	return reply(c, call, res, err)
}

func (s *Server) rerank(c echo.Context) error {
	return serveV1(s, c, "rerank", llm.ParseRerankRequest, s.o.Gateway.Rerank)
}

// reply finishes a /v1 answer: the headers every answer carries, then res, or err in the
// API's error shape (returned to the route's apiErrors). A streamed answer (res nil) went out
// through the stream writer, and a failure after it began is in the stream.
func reply(c echo.Context, call *gateway.Call, res *gateway.Result, err error) error {
	if c.Response().Committed {
		return nil
	}
	hv := newHeaderValues(c.Response().Header(), 0)
	switch {
	case err != nil:
		hv.answer(call, call.Provider, call.Fallback, formatMS(call.OverheadMS(time.Now())))
		return err
	case res == nil:
		hv.answer(call, call.Provider, call.Fallback, "")
		return nil
	}
	hv.answer(call, call.Provider, call.Fallback, formatMS(res.OverheadMS))
	return c.Blob(http.StatusOK, cmp.Or(res.ContentType, echo.MIMEApplicationJSON), res.Body)
}

// headerValues sets response headers with their values in one backing array, the way
// Header.Clone lays them out: one allocation for all the headers of an answer, not one each.
type headerValues struct {
	h    http.Header
	vals []string
}

// answerHeaders is how many headers answer sets at most.
const answerHeaders = 7

// newHeaderValues has room for extra headers besides those of answer.
func newHeaderValues(h http.Header, extra int) headerValues {
	return headerValues{h: h, vals: make([]string, 0, answerHeaders+extra)}
}

// set sets key (in canonical form) to the one value v.
func (hv *headerValues) set(key, v string) {
	hv.vals = append(hv.vals, v)
	n := len(hv.vals)
	hv.h[key] = hv.vals[n-1 : n : n] // capped: an Add elsewhere copies instead of overwriting
}

// answer sets the headers every /v1 answer carries: the provider (and the fallback alias)
// that answered, what the response cache did, a limited key's request limit, and Conduit's
// overhead (unless "").
func (hv *headerValues) answer(call *gateway.Call, provider, fallback, overhead string) {
	hv.set(hdrProvider, provider)
	if fallback != "" {
		hv.set(hdrFallback, fallback)
	}
	if call.Cache != "" {
		hv.set(hdrCache, call.Cache)
	}
	hv.rateLimit(call.RateLimit)
	if overhead != "" {
		hv.set(hdrOverhead, overhead)
	}
}
