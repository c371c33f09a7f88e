// Package backend is Conduit's HTTP face: the echo routes and middleware of the client API
// (/v1), the admin API (/admin), health, metrics and the embedded web UI. It translates HTTP to
// gateway and store calls and nothing more.
package backend

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/trace"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/gateway"
	"github.com/conduit-gw/conduit/internal/notify"
	"github.com/conduit-gw/conduit/internal/pricing"
	"github.com/conduit-gw/conduit/internal/providers"
	"github.com/conduit-gw/conduit/internal/router"
	"github.com/conduit-gw/conduit/internal/snapshot"
	"github.com/conduit-gw/conduit/internal/throttle"
)

// Secrets stores provider API keys.
type Secrets interface {
	Set(ctx context.Context, name, value string) error
	Delete(ctx context.Context, name string) error
	Backend() string
}

// Config is the live configuration: the current snapshot and a way to rebuild it.
type Config interface {
	Load() *snapshot.Snapshot
	Reload(ctx context.Context) error
}

// Spend reports a key's spend in its current budget period and when that period ends.
type Spend interface {
	Spend(k config.Key) (spend float64, resetAt *time.Time)
	Forget(keyID string)
}

// SharedLimits is the state of limits shared across instances (Redis), for /ready.
type SharedLimits interface {
	Health() error    // nil while the shared store answers
	FailClosed() bool // requests are refused while it does not
}

// Metrics serves the Prometheus endpoint.
type Metrics interface {
	Handler() http.Handler
}

// Admission limits Conduit's concurrent CPU work on /v1 requests.
type Admission interface {
	Acquire(ctx context.Context) (release func(), err error)
}

// Tracer starts the server span of a /v1 request, continuing the trace of the client's
// traceparent header (tracing.Provider).
type Tracer interface {
	StartRequest(ctx context.Context, h http.Header, method, route string) (context.Context, trace.Span)
}

// Options wire a Server.
type Options struct {
	Gateway *gateway.Gateway
	// The persistence each part of the admin API needs (one store fills them all).
	Providers     Rows[config.Provider]
	Deployments   Rows[config.Deployment]
	Keys          Rows[config.Key]
	Costs         Rows[config.Cost]
	Settings      SettingsStore
	Logs          LogStore
	Notifications NotificationStore
	Audit         AuditStore
	Database      Database
	Secrets       Secrets
	Config        Config
	Router        *router.Router
	Registry      *providers.Registry
	Metrics       Metrics
	Spend         Spend
	// Sessions keeps the web UI's logins (nil: in memory, lost on restart).
	Sessions SessionStore
	// SharedLimits, when limits are shared across instances: while their store does not
	// answer, /ready says "degraded" (200, failing open) or "unavailable" (503, failing closed).
	SharedLimits SharedLimits
	// DefaultPrices is the shipped price table, listed read-only under /admin/costs.
	DefaultPrices []pricing.Row
	// OnSettings, if set, is told of every settings change (the desktop app toggles autostart).
	OnSettings func(config.Settings)
	MasterKey  string
	Mode       string // "desktop" or "headless"
	Version    string
	UI         fs.FS // the built web UI; nil or empty serves a hint page
	Logger     *slog.Logger
	// MaxBodyBytes bounds /v1 request bodies (default 32 MiB).
	MaxBodyBytes int64
	// MaxAudioBytes bounds the multipart uploads of /v1/audio/transcriptions and
	// /v1/audio/translations (default 25 MiB, OpenAI's own limit).
	MaxAudioBytes int64
	// Bus carries live events to /admin/events; Notify is the notification service.
	Bus    *notify.Bus
	Notify *notify.Service
	// Admission, when set, bounds concurrent CPU work with fast 503s past it.
	Admission Admission
	// Shedder, when set, turns /v1 requests away at the door while Conduit is past capacity.
	Shedder Shedder
	// Conversations keeps Responses API responses; nil keeps none (previous_response_id and
	// the /v1/responses/{id} routes then answer 404).
	Conversations Conversations
	// ListenAddr and AllowedHosts say which Host headers are served (guard.go): localhost,
	// loopback addresses, the listen address and these names.
	ListenAddr   string
	AllowedHosts []string
	// Throttle counts failed authentications per client address (default: 10 within a
	// minute block the address for a minute).
	Throttle *throttle.Throttle
	// Tracing, when set, traces every /v1 request (nil: tracing is off and costs nothing).
	Tracing Tracer
	// TraceURL is a URL in which {trace_id} stands for a trace id: a request log's detail
	// links to its trace with it. Empty: no link.
	TraceURL string
}

// Server is the HTTP handler of Conduit.
type Server struct {
	o        Options
	e        *echo.Echo
	log      *slog.Logger
	sessions *sessions
	started  time.Time
	// listenURL is where the gateway listens (SetListenURL), once it does.
	listenURL atomic.Pointer[string]
	pg        playground // the Chat page's built-in key
	hosts     *hostPolicy
	csp       []string  // Content-Security-Policy of the web UI (guard.go)
	eventBufs sync.Pool // *eventBufs of finished Responses streams (responses.go)
}

// New builds the server and its routes.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 32 << 20
	}
	if o.MaxAudioBytes <= 0 {
		o.MaxAudioBytes = 25 << 20
	}
	if o.Throttle == nil {
		o.Throttle = throttle.New(throttle.Options{})
	}
	s := &Server{o: o, log: o.Logger, sessions: newSessions(24*time.Hour, o.Sessions, o.Logger), started: time.Now(),
		hosts: newHostPolicy(o.ListenAddr, o.AllowedHosts)}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = echo.ExtractIPDirect()
	e.HTTPErrorHandler = s.errorHandler
	e.Use(s.recoverer)
	s.e = e

	e.GET("/health", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	e.GET("/ready", s.ready)
	e.GET("/metrics", echo.WrapHandler(o.Metrics.Handler()), s.requireMaster)

	v1mw := []echo.MiddlewareFunc{s.v1Headers, s.usePlayground}
	if o.Tracing != nil {
		v1mw = append([]echo.MiddlewareFunc{s.traced}, v1mw...)
	}
	e.Group("/v1", v1mw...) // the group's middleware for /v1 paths no route matches
	openAI, anthropic := s.apiErrors(writeV1Error), s.apiErrors(writeAnthropicError)
	for _, r := range []struct {
		method, path string
		h            echo.HandlerFunc
		errs         echo.MiddlewareFunc
	}{
		{http.MethodGet, "/models", s.listModels, openAI},
		{http.MethodPost, "/chat/completions", s.chatCompletions, openAI},
		{http.MethodPost, "/embeddings", s.embeddings, openAI},
		{http.MethodPost, "/images/generations", s.imageGenerations, openAI},
		{http.MethodPost, "/moderations", s.moderations, openAI},
		{http.MethodPost, "/rerank", s.rerank, openAI},
		{http.MethodPost, "/audio/transcriptions", s.transcriptions, openAI},
		{http.MethodPost, "/audio/translations", s.translations, openAI},
		{http.MethodPost, "/audio/speech", s.speech, openAI},
		{http.MethodPost, "/messages", s.messages, anthropic},
		{http.MethodPost, "/messages/count_tokens", s.countTokens, anthropic},
		{http.MethodPost, "/completions", s.completions, openAI},
		{http.MethodPost, "/responses", s.responses, openAI},
		{http.MethodGet, "/responses/:id", s.getResponse, openAI},
		{http.MethodDelete, "/responses/:id", s.deleteResponse, openAI},
		{http.MethodGet, "/responses/:id/input_items", s.listInputItems, openAI},
	} {
		// Wrapped once, here: echo wraps a route's handler in the route's middleware again
		// on every request.
		e.Add(r.method, "/v1"+r.path, chain(r.h, slices.Concat(v1mw, []echo.MiddlewareFunc{r.errs})...))
	}

	s.adminRoutes(e.Group("/admin"))
	s.uiRoutes(e)
	return s
}

// chain wraps h in middleware as echo does, the first outermost.
func chain(h echo.HandlerFunc, mw ...echo.MiddlewareFunc) echo.HandlerFunc {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// Handler returns the root handler.
func (s *Server) Handler() http.Handler {
	if s.o.Shedder != nil {
		return s.guard(shedding(s.o.Shedder, s.e))
	}
	return s.guard(s.e)
}

// Echo exposes the echo instance (the desktop app mounts it in its asset server).
func (s *Server) Echo() *echo.Echo { return s.e }

func (s *Server) ready(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.o.Database.Ping(ctx); err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "database not answering"})
	}
	if sl := s.o.SharedLimits; sl != nil && sl.Health() != nil {
		if sl.FailClosed() {
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "shared limit store (Redis) not answering"})
		}
		return c.JSON(http.StatusOK, map[string]string{"status": "degraded", "warning": "shared limit store (Redis) not answering: limits of this instance alone"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// recoverer turns a handler panic into a 500 without killing the process. A panic with
// http.ErrAbortHandler (a deliberately aborted stream) is re-raised for net/http.
func (s *Server) recoverer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.log.Error("panic in handler", "path", c.Request().URL.Path, "panic", r)
				err = &statusError{Status: http.StatusInternalServerError, Message: "internal error"}
			}
		}()
		return next(c)
	}
}
