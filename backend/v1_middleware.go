package backend

import (
	"errors"
	"math"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	"github.com/conduit-gw/conduit/internal/ids"
	"github.com/conduit-gw/conduit/internal/limits"
	"github.com/conduit-gw/conduit/internal/llm"
)

// Response headers of /v1 (docs/API.md), in canonical form: set straight into the header map,
// they are not canonicalised again on every request.
const (
	hdrRequestID = "X-Request-Id"
	hdrProvider  = "X-Conduit-Provider"
	hdrOverhead  = "X-Conduit-Overhead-Ms"
	hdrFallback  = "X-Conduit-Fallback"
	hdrCache     = "X-Conduit-Cache"
	hdrCacheTTL  = "X-Conduit-Cache-Ttl"

	hdrLimitRequests     = "X-Ratelimit-Limit-Requests"
	hdrRemainingRequests = "X-Ratelimit-Remaining-Requests"
	hdrResetRequests     = "X-Ratelimit-Reset-Requests"
)

// v1Context is the echo context of a /v1 request with its id and the time it began: one
// allocation, where echo's context store takes a map and one per value.
type v1Context struct {
	echo.Context
	id    string
	start time.Time
	idHdr [1]string // the X-Request-Id header's value
}

// v1Headers gives every /v1 response a request id.
func (s *Server) v1Headers(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		vc := &v1Context{Context: c, id: ids.NewTimed("req", start), start: start}
		vc.idHdr[0] = vc.id
		c.Response().Header()[hdrRequestID] = vc.idHdr[:]
		return next(vc)
	}
}

// v1Request is the id and start of the /v1 request c serves (zero outside v1Headers).
func v1Request(c echo.Context) (id string, start time.Time) {
	if vc, ok := c.(*v1Context); ok {
		return vc.id, vc.start
	}
	return "", time.Time{}
}

// traced runs a /v1 request inside its server span (Options.Tracing), which the gateway
// fills in and which ends once the answer is written.
func (s *Server) traced(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		ctx, span := s.o.Tracing.StartRequest(r.Context(), r.Header, r.Method, c.Path())
		defer span.End()
		c.SetRequest(r.WithContext(ctx))
		err := next(c)
		status := c.Response().Status
		if !c.Response().Committed {
			status = http.StatusInternalServerError // the error handler answers err
			var he *echo.HTTPError
			if errors.As(err, &he) {
				status = he.Code
			}
		}
		span.SetAttributes(semconv.HTTPResponseStatusCode(status))
		return err
	}
}

// apiErrors answers the *llm.Errors a /v1 handler returns, and its panics, with write: in the
// shape of the client API the route serves (other errors go to the server's error handler). A panic is logged with its stack and answered as
// a 500 that names the request id; once the response has begun it aborts the response
// (http.ErrAbortHandler) instead, so a broken stream is never taken for a complete one.
func (s *Server) apiErrors(write func(echo.Context, error) error) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = s.v1Panic(c, r, write)
				}
			}()
			if err = next(c); err == nil {
				return nil
			}
			var le *llm.Error
			if c.Response().Committed || !errors.As(err, &le) {
				return err // too late to answer, or for the error handler
			}
			return write(c, le)
		}
	}
}

func (s *Server) v1Panic(c echo.Context, r any, write func(echo.Context, error) error) error {
	if r == http.ErrAbortHandler {
		panic(r)
	}
	id, _ := v1Request(c)
	s.log.Error("panic in handler", "path", c.Request().URL.Path, "request_id", id, "panic", r,
		"stack", string(debug.Stack()))
	if c.Response().Committed {
		panic(http.ErrAbortHandler)
	}
	return write(c, llm.Internal("The server had an error while processing your request (request id "+id+")."))
}

// rateLimit reports a limited key's tightest request limit in the x-ratelimit-* headers
// OpenAI sends.
func (hv *headerValues) rateLimit(d limits.Decision) {
	if !d.Limited {
		return
	}
	hv.set(hdrLimitRequests, strconv.Itoa(d.Limit))
	hv.set(hdrRemainingRequests, strconv.Itoa(max(d.Remaining, 0)))
	hv.set(hdrResetRequests, formatReset(d.Reset))
}

// formatReset writes a duration in seconds, rounded up to the millisecond ("1.235s").
func formatReset(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	return strconv.FormatFloat(math.Ceil(d.Seconds()*1000)/1000, 'f', -1, 64) + "s"
}

func formatMS(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
