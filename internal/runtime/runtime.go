// Package runtime is Conduit's composition root: it prepares the data directory, secrets,
// master key and database, wires the gateway and its background loops, serves an HTTP
// handler built over them, and shuts everything down in order. The HTTP face itself (routes,
// middleware, handlers, web UI) is given to it by the caller.
package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	goruntime "runtime"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/conduit-gw/conduit/internal/admission"
	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/conversation"
	"github.com/conduit-gw/conduit/internal/datadir"
	"github.com/conduit-gw/conduit/internal/fanout"
	"github.com/conduit-gw/conduit/internal/gateway"
	"github.com/conduit-gw/conduit/internal/limits"
	"github.com/conduit-gw/conduit/internal/metrics"
	"github.com/conduit-gw/conduit/internal/notify"
	"github.com/conduit-gw/conduit/internal/pricing"
	"github.com/conduit-gw/conduit/internal/providers"
	"github.com/conduit-gw/conduit/internal/providers/all"
	"github.com/conduit-gw/conduit/internal/router"
	"github.com/conduit-gw/conduit/internal/secrets"
	"github.com/conduit-gw/conduit/internal/snapshot"
	"github.com/conduit-gw/conduit/internal/store"
	"github.com/conduit-gw/conduit/internal/throttle"
	"github.com/conduit-gw/conduit/internal/tracing"
	"github.com/conduit-gw/conduit/internal/usage"
)

// Options configure a gateway process: the flags and environment of main.
type Options struct {
	Addr        string
	DataDir     string
	SecretsMode string // auto, keyring, file
	MasterKey   string // CONDUIT_MASTER_KEY; generated when empty
	SecretKey   string // CONDUIT_SECRET_KEY
	Mode        string // desktop or headless
	Version     string
	Logger      *slog.Logger // default slog.Default()
	// Stderr receives the one-time master key notice (default os.Stderr).
	Stderr io.Writer
	// Started, if set, is called with the base URL once the listener is open.
	Started func(baseURL string)
	// Desktop shows desktop notifications (nil in headless mode).
	Desktop notify.DesktopNotifier
	// ShutdownTimeout bounds the wait for in-flight requests, and then separately the wait
	// for background work and the last usage flush (default 30s).
	ShutdownTimeout time.Duration
	// NoShedding turns off load shedding (tests, whose machines are slow on purpose).
	NoShedding bool
	// DatabaseURL puts the store on PostgreSQL (postgres://…) instead of SQLite in DataDir.
	DatabaseURL string
	// RedisURL shares limits, budgets and configuration changes across instances through
	// Redis (redis://…).
	RedisURL string
	// RedisFailClosed refuses requests (503) while Redis is unreachable; by default they are
	// limited by this instance alone and /ready reports "degraded".
	RedisFailClosed bool
	// Providers are the provider types served (default: every adapter of this build, as
	// providers/all registers them).
	Providers *providers.Registry
	// Sleep, if set, replaces the gateway's wait between retries (tests record the waits).
	Sleep func(ctx context.Context, d time.Duration) error
	// RouterClock, if set, is the router's clock: cooldowns and probes (tests advance a
	// fake one; default time.Now).
	RouterClock func() time.Time
	// AllowedHosts are Host names served besides localhost, loopback addresses and Addr's
	// host (--allowed-hosts): DNS-rebinding protection, applied by the HTTP face.
	AllowedHosts []string
	// Throttle counts failed authentications per client address (default: throttle.New's).
	Throttle *throttle.Throttle
	// TLSCert and TLSKey, when both set, are the PEM certificate (chain) and key the listener
	// serves HTTPS with (--tls-cert, --tls-key); otherwise it serves plain HTTP.
	TLSCert, TLSKey string
	// TraceURL links a request log to its trace in a tracing UI: a URL in which {trace_id}
	// stands for the trace id (--trace-url); empty: no link.
	TraceURL string
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 30 * time.Second
	}
}

// StartupError is a failure to start (port in use, unwritable data dir, corrupt DB): main
// prints it as one line and exits non-zero.
type StartupError struct{ Err error }

func (e *StartupError) Error() string { return e.Err.Error() }
func (e *StartupError) Unwrap() error { return e.Err }

func startupErr(format string, args ...any) error {
	return &StartupError{Err: fmt.Errorf(format, args...)}
}

// Runtime is everything a running gateway is made of but its HTTP face. Its fields are
// what the HTTP layer receives; Close takes it down.
type Runtime struct {
	Options Options // as given, with defaults filled in
	// ListenURL is where the gateway listens (http://host:port): set by Start once the
	// listener is open, before the HTTP face is built; empty for a Runtime only built.
	ListenURL string
	Secrets   secrets.Store
	MasterKey string
	DB        *store.DB
	Registry  *providers.Registry
	Config    *snapshot.Holder
	// DefaultPrices is the shipped price table.
	DefaultPrices []pricing.Row
	Limits        Limiter
	// SharedLimits are the limits kept in Redis (also Limits), nil without Redis.
	SharedLimits *limits.Shared
	Usage        *usage.Writer
	Metrics      *metrics.Metrics
	Router       *router.Router
	Bus          *notify.Bus
	Notify       *notify.Service
	Gateway      *gateway.Gateway
	Admission    *admission.Gate
	Pressure     *admission.Pressure
	Door         *admission.Door
	// Throttle counts failed authentications per client address.
	Throttle *throttle.Throttle
	// Conversations keeps Responses API responses; Close flushes it before the DB closes.
	Conversations *conversation.Service
	// Tracing exports the traces of /v1 requests; nil when the OTEL_EXPORTER_OTLP_*
	// environment asks for none.
	Tracing *tracing.Provider

	redis *redis.Client // nil without Options.RedisURL
	// cacheRun writes the response cache's entries (a background loop).
	cacheRun func(context.Context)
	fanout   fanout.Fanout // nil for one process
	relays   chan outgoing // messages for the other instances (with fanout)

	keyGeneratedIn string // where a master key generated on this start was stored
	stop           context.CancelFunc
	bg             context.Context
	loops          sync.WaitGroup
}

// Build prepares the data directory, secrets, master key and database, wires the gateway and
// starts its background loops. On error nothing is left open.
func Build(ctx context.Context, o Options) (*Runtime, error) {
	o.defaults()
	r := &Runtime{Options: o}
	if err := r.open(ctx); err != nil {
		return nil, err
	}
	if err := r.wire(ctx); err != nil {
		r.DB.Close()
		_ = r.closeRedis()
		return nil, err
	}
	r.bg, r.stop = context.WithCancel(context.WithoutCancel(ctx))
	r.startLoops()
	return r, nil
}

// open prepares the data directory and opens the secrets backend, the master key and the DB.
func (r *Runtime) open(ctx context.Context) error {
	o := r.Options
	if err := prepareDataDir(o.DataDir, o.DatabaseURL == ""); err != nil {
		return err
	}
	if o.DatabaseURL != "" {
		return r.openShared(ctx)
	}
	sec, err := secrets.Open(ctx, secrets.Options{Mode: o.SecretsMode, DataDir: o.DataDir, SecretKey: o.SecretKey, Logger: o.Logger})
	if err != nil {
		return startupErr("secrets: %v", err)
	}
	r.Secrets = sec
	master, generatedIn, err := masterKey(ctx, o, sec)
	if err != nil {
		return startupErr("master key: %v", err)
	}
	r.MasterKey = master
	db, err := openStore(ctx, o)
	if err != nil {
		return startupErr("%v", err)
	}
	if err := datadir.Secure(o.DataDir); err != nil {
		o.Logger.Warn("data directory files could not all be made private", "err", err)
	}
	r.DB = db
	if err := r.openRedis(ctx); err != nil {
		db.Close()
		return err
	}
	r.keyGeneratedIn = generatedIn
	return nil
}

// wire loads the configuration and builds the gateway around it.
func (r *Runtime) wire(ctx context.Context) error {
	o, log := r.Options, r.Options.Logger
	r.Registry = o.Providers
	if r.Registry == nil {
		r.Registry = providers.NewRegistry()
		all.Register(r.Registry)
	}
	defaults, err := pricing.Defaults()
	if err != nil {
		return err
	}
	r.DefaultPrices = defaults
	r.Config, err = snapshot.NewHolder(ctx, &snapshot.Builder{
		Source: r.DB, Secrets: r.Secrets, Registry: r.Registry, Client: &http.Client{Transport: NewTransport()},
		Defaults: defaults, Logger: log, IsNotFound: func(err error) bool { return errors.Is(err, secrets.ErrNotFound) },
	})
	if err != nil {
		return startupErr("loading configuration: %v", err)
	}
	r.Limits = r.newLimits()
	r.fanout = r.newFanout()
	if err := seedSpend(ctx, r.DB, r.Config.Load(), r.Limits); err != nil {
		return startupErr("rebuilding spend from the request log: %v", err)
	}
	storage := &storageWatch{}
	r.Usage = usage.NewWriter(r.DB, usage.WriterOptions{Logger: log, OnFlush: storage.flushed})
	r.Metrics = metrics.New(r.Usage, r.Usage)
	r.Metrics.UsageFailed(r.Usage.Failed)
	clock := o.RouterClock
	if clock == nil {
		clock = time.Now
	}
	r.Router = router.New(clock, uint64(time.Now().UnixNano()))
	r.Bus = notify.NewBus(notify.BusOptions{Logger: log, Relay: r.busRelay()})
	r.Notify = notify.NewService(notify.Options{Bus: r.Bus, Store: r.DB, Desktop: o.Desktop, Logger: log,
		Settings: func() config.Settings { return r.Config.Load().Settings }, HTTPClient: &http.Client{Transport: NewTransport()},
		Claim: r.notificationClaims(), FlipHealth: r.healthFlips()})
	storage.notes.Store(r.Notify)
	if err := r.Notify.Restore(ctx); err != nil {
		log.Warn("notifications: could not restore recent state", "err", err)
	}
	if r.keyGeneratedIn != "" {
		r.Notify.FirstStart("The admin master key (" + r.MasterKey[:17] + "…) was generated and stored in " + r.keyGeneratedIn + ".")
	}
	r.shareCooldowns()
	r.Router.OnHealthChange(func(c router.HealthChange) {
		cool := time.Duration(r.Config.Load().Router.CooldownS) * time.Second
		r.Notify.Health().Observe(c.ProviderID, c.ProviderName, c.Up, c.Err, time.Now(), cool)
	})
	cache, cacheRun, err := r.newCache(ctx)
	if err != nil {
		return startupErr("response cache: %v", err)
	}
	r.cacheRun = cacheRun
	r.Gateway = gateway.New(gateway.Options{Config: r.Config, Router: r.Router, Usage: r.Metrics, Limits: r.Limits,
		Cache: cache, MasterKey: r.MasterKey, KeyLookup: r.keyLookup(), Logger: log, Spend: spendWatch{notes: r.Notify}, Sleep: o.Sleep})
	r.Conversations = conversation.New(r.DB, log)
	r.Pressure = admission.NewPressure(pressureTarget, pressureQuantile)
	procs := goruntime.GOMAXPROCS(0)
	r.Admission = admission.New(16*procs, 512*procs, 250*time.Millisecond)
	r.Door = admission.NewDoor(admission.DoorOptions{Overloaded: r.Pressure.Overloaded, Now: time.Now,
		AdmitWait: doorAdmitWait, HoldWait: doorHoldWait, Latency: r.Pressure.Latency, Target: pressureTarget,
		MinLimit: doorMinPerCPU * procs})
	r.Metrics.Shedding(func() uint64 { return r.Door.Refused() + r.Admission.Shed() }, r.Pressure.Share,
		func() float64 { return r.Pressure.Latency().Seconds() }, func() float64 { return float64(r.Door.Limit()) })
	r.Tracing, err = tracing.FromEnv(ctx, tracing.Options{Version: o.Version, Logger: log})
	if err != nil {
		return startupErr("%v", err)
	}
	if r.Tracing != nil {
		log.Info("tracing: exporting OpenTelemetry traces over OTLP")
	}
	r.Throttle = o.Throttle
	if r.Throttle == nil {
		r.Throttle = throttle.New(throttle.Options{})
	}
	r.Metrics.AuthThrottle(r.Throttle.Failures, r.Throttle.Refused, r.Throttle.Trips)
	return nil
}

// Go runs a background loop until Close; Close waits for it to return before the usage
// writer and the database close.
func (r *Runtime) Go(loop func(ctx context.Context)) {
	r.loops.Add(1)
	go func() {
		defer r.loops.Done()
		loop(r.bg)
	}()
}

// Close takes the gateway down in order: stop the background loops and wait for them, flush
// the stored responses, flush and stop the usage writer, export the queued spans, stop
// notifications, close the database. ctx bounds the waits; the database is closed in any case.
func (r *Runtime) Close(ctx context.Context) error {
	r.Bus.Close()
	r.stop()
	err := r.waitLoops(ctx)
	r.Conversations.Close()
	if uerr := r.Usage.Close(ctx); uerr != nil {
		err = errors.Join(err, fmt.Errorf("flushing usage: %w", uerr))
	}
	err = errors.Join(err, r.Tracing.Shutdown(ctx))
	if nerr := r.Notify.Close(ctx); nerr != nil {
		err = errors.Join(err, fmt.Errorf("notifications: %w", nerr))
	}
	if cerr := r.DB.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("closing the database: %w", cerr))
	}
	err = errors.Join(err, r.closeRedis())
	return err
}

func (r *Runtime) waitLoops(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		r.loops.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("background loops did not stop: %w", ctx.Err())
	}
}
