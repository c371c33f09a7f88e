package backend

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/conduit-gw/conduit/internal/admission"
	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/conversation"
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
	"github.com/conduit-gw/conduit/internal/usage"
)

// ServeOptions configure a running gateway: the flags and environment of main.
type ServeOptions struct {
	Addr        string
	DataDir     string
	SecretsMode string // auto, keyring, file
	MasterKey   string // CONDUIT_MASTER_KEY; generated when empty
	SecretKey   string // CONDUIT_SECRET_KEY
	Mode        string // desktop or headless
	Version     string
	UI          fs.FS
	Logger      *slog.Logger
	// Stderr receives the one-time master key notice (default os.Stderr).
	Stderr interface{ Write([]byte) (int, error) }
	// Started, if set, is called with the base URL once the listener is open.
	Started func(baseURL string)
	// Desktop shows desktop notifications (nil in headless mode).
	Desktop notify.DesktopNotifier
	// OnSettings is told of every settings change (the desktop app toggles autostart).
	OnSettings func(config.Settings)
	// StreamTTFB and StreamIdle bound a stream's first chunk and the gaps between chunks
	// (default 120s each).
	StreamTTFB, StreamIdle time.Duration
	// ShutdownTimeout bounds the wait for in-flight requests (default 30s).
	ShutdownTimeout time.Duration
	// NoShedding turns off load shedding (tests, whose machines are slow on purpose).
	NoShedding bool
}

// StartupError is a failure to start (port in use, unwritable data dir, corrupt DB): main
// prints it as one line and exits non-zero.
type StartupError struct{ Err error }

func (e *StartupError) Error() string { return e.Err.Error() }
func (e *StartupError) Unwrap() error { return e.Err }

func startupErr(format string, args ...any) error {
	return &StartupError{Err: fmt.Errorf(format, args...)}
}

// Runtime is a wired gateway: its HTTP handler and what must be closed on shutdown.
type Runtime struct {
	Handler   http.Handler
	Server    *Server
	DB        *store.DB
	Usage     *usage.Writer
	Secrets   secrets.Store
	MasterKey string
	Bus       *notify.Bus
	Notify    *notify.Service
	// Conversations keeps Responses API responses; Close flushes it before the DB closes.
	Conversations *conversation.Service
	stop          context.CancelFunc
}

// Close stops background work, flushes the usage log and closes the database.
func (r *Runtime) Close(ctx context.Context) error {
	r.stop()
	r.Bus.Close()
	r.Conversations.Close()
	err := r.Usage.Close(ctx)
	if nerr := r.Notify.Close(ctx); err == nil {
		err = nerr
	}
	if cerr := r.DB.Close(); err == nil {
		err = cerr
	}
	return err
}

// Build prepares the data directory, secrets, master key and database, and wires the gateway.
func Build(ctx context.Context, o ServeOptions) (*Runtime, error) {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if err := prepareDataDir(o.DataDir); err != nil {
		return nil, err
	}
	sec, err := secrets.Open(ctx, secrets.Options{Mode: o.SecretsMode, DataDir: o.DataDir, SecretKey: o.SecretKey, Logger: log})
	if err != nil {
		return nil, startupErr("secrets: %v", err)
	}
	master, generatedIn, err := masterKey(ctx, o, sec)
	if err != nil {
		return nil, startupErr("master key: %v", err)
	}
	db, err := store.Open(ctx, filepath.Join(o.DataDir, "conduit.db"))
	if err != nil {
		return nil, startupErr("%v", err)
	}
	reg := providers.NewRegistry()
	all.Register(reg)
	client := &http.Client{Transport: NewTransport()}
	defaults, err := pricing.Defaults()
	if err != nil {
		db.Close()
		return nil, err
	}
	holder, err := snapshot.NewHolder(ctx, &snapshot.Builder{
		Source: db, Secrets: sec, Registry: reg, Client: client,
		Defaults: defaults, Logger: log, IsNotFound: func(err error) bool { return errors.Is(err, secrets.ErrNotFound) },
	})
	if err != nil {
		db.Close()
		return nil, startupErr("loading configuration: %v", err)
	}
	tracker := limits.NewTracker(time.Now)
	if err := seedSpend(ctx, db, holder.Load(), tracker); err != nil {
		db.Close()
		return nil, startupErr("rebuilding spend from the request log: %v", err)
	}
	writer := usage.NewWriter(db, usage.WriterOptions{Logger: log})
	m := metrics.New(writer, writer)
	rt := router.New(time.Now, uint64(time.Now().UnixNano()))
	bus := notify.NewBus(notify.BusOptions{Logger: log})
	notes := notify.NewService(notify.Options{Bus: bus, Store: db, Desktop: o.Desktop, Logger: log,
		Settings: func() config.Settings { return holder.Load().Settings }, HTTPClient: &http.Client{Transport: NewTransport()}})
	if err := notes.Restore(ctx); err != nil {
		log.Warn("notifications: could not restore recent state", "err", err)
	}
	if generatedIn != "" {
		notes.FirstStart("The admin master key (" + master[:17] + "…) was generated and stored in " + generatedIn + ".")
	}
	rt.OnHealthChange(func(c router.HealthChange) {
		cool := time.Duration(holder.Load().Router.CooldownS) * time.Second
		notes.Health().Observe(c.ProviderID, c.ProviderName, c.Up, c.Err, time.Now(), cool)
	})
	gw := gateway.New(gateway.Options{Config: holder, Router: rt, Usage: m, Limits: tracker, MasterKey: master, Logger: log,
		Spend: spendWatch{tracker: tracker, notes: notes}, StreamTTFB: o.StreamTTFB, StreamIdle: o.StreamIdle})
	convs := conversation.New(db, log)
	pressure := admission.NewPressure(pressureTarget, pressureQuantile)
	gate := admission.New(16*runtime.GOMAXPROCS(0), 512*runtime.GOMAXPROCS(0), 250*time.Millisecond)
	m.Shedding(func() uint64 { return pressure.Refused() + gate.Shed() }, pressure.Share,
		func() float64 { return pressure.Latency().Seconds() })
	srv := New(Options{
		Gateway: gw, Store: db, Secrets: sec, Config: holder, Router: rt, Registry: reg, Metrics: m,
		MasterKey: master, Mode: o.Mode, Version: o.Version, UI: o.UI, Logger: log,
		DefaultPrices: defaults, Spend: tracker,
		Bus: bus, Notify: notes, OnSettings: o.OnSettings,
		Admission:     gate,
		Shedder:       pressure,
		Conversations: convs,
	})
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	if !o.NoShedding {
		go pressure.Run(bg, pressureInterval)
	}
	go convs.Run(context.WithoutCancel(ctx)) // ends with Close, after in-flight requests
	go pruneLogs(bg, db, holder, log)
	go (&router.Checker{Router: rt, Config: holder, Logger: log}).Run(bg)
	go watch(bg, holder, notes)
	return &Runtime{Handler: srv.Handler(), Server: srv, DB: db, Usage: writer, Secrets: sec, MasterKey: master,
		Bus: bus, Notify: notes, Conversations: convs, stop: stop}, nil
}

// Serve runs the gateway until ctx ends, then shuts down cleanly: stop accepting, finish
// in-flight requests, flush usage, close the DB.
func Serve(ctx context.Context, o ServeOptions) error {
	srv, err := Start(ctx, o)
	if err != nil {
		return err
	}
	select {
	case err := <-srv.failed:
		_ = srv.Runtime.Close(context.Background())
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	return srv.Stop()
}

// Running is a gateway serving on its address.
type Running struct {
	Runtime *Runtime
	URL     string
	hs      *http.Server
	o       ServeOptions
	log     *slog.Logger
	failed  chan error
}

// Start builds the gateway and serves it on o.Addr in the background.
func Start(ctx context.Context, o ServeOptions) (*Running, error) {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 30 * time.Second
	}
	rt, err := Build(ctx, o)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		_ = rt.Close(context.Background())
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, startupErr("cannot listen on %s: the address is already in use (is another Conduit running? use --addr)", o.Addr)
		}
		return nil, startupErr("cannot listen on %s: %v", o.Addr, err)
	}
	hs := &http.Server{
		Handler:           rt.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	r := &Running{Runtime: rt, URL: "http://" + ln.Addr().String(), hs: hs, o: o, log: log, failed: make(chan error, 1)}
	rt.Server.SetListenURL(r.URL)
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.failed <- err
		}
	}()
	log.Info("conduit is serving", "url", r.URL, "mode", o.Mode, "data_dir", o.DataDir,
		"secrets", rt.Secrets.Backend(), "version", o.Version)
	if o.Started != nil {
		o.Started(r.URL)
	}
	return r, nil
}

// Failed reports a serving error (the listener died).
func (r *Running) Failed() <-chan error { return r.failed }

// Stop stops accepting, finishes in-flight requests (bounded by ShutdownTimeout), flushes
// every usage record and closes the database.
func (r *Running) Stop() error {
	r.log.Info("shutting down: finishing in-flight requests")
	r.Runtime.Bus.Close() // ends live event streams, which would otherwise hold Shutdown open
	sctx, cancel := context.WithTimeout(context.Background(), r.o.ShutdownTimeout)
	defer cancel()
	if err := r.hs.Shutdown(sctx); err != nil {
		r.log.Warn("in-flight requests did not finish in time; closing them", "err", err)
		_ = r.hs.Close()
	}
	if err := r.Runtime.Close(sctx); err != nil {
		r.log.Error("usage records not flushed", "err", err)
		return fmt.Errorf("flushing usage: %w", err)
	}
	r.log.Info("stopped cleanly", "usage_rows_written", r.Runtime.Usage.Written(), "usage_rows_dropped", r.Runtime.Usage.Dropped())
	return nil
}

// seedSpend rebuilds every key's spend in its current budget period from the request log, so
// a restart (or a crash, minus the unflushed batch) keeps budgets honest.
func seedSpend(ctx context.Context, db *store.DB, snap *snapshot.Snapshot, t *limits.Tracker) error {
	now := time.Now()
	since := make(map[string]time.Time, len(snap.KeysByID))
	for id, k := range snap.KeysByID {
		since[id] = limits.PeriodStart(k.BudgetDuration, now)
	}
	if len(since) == 0 {
		return nil
	}
	spend, err := db.KeySpend(ctx, since)
	if err != nil {
		return err
	}
	for id, k := range snap.KeysByID {
		t.Seed(k.Key, spend[id])
	}
	return nil
}

// Load shedding (internal/admission.Pressure): while the 90th percentile of the Go
// scheduler's latency over pressureInterval stays above pressureTarget, a growing share of
// new /v1 requests is refused with a fast 503.
const (
	pressureTarget   = 5 * time.Millisecond
	pressureQuantile = 0.9
	pressureInterval = 100 * time.Millisecond
)

// spendWatch tells the notification triggers about every charge.
type spendWatch struct {
	tracker *limits.Tracker
	notes   *notify.Service
}

func (w spendWatch) Charged(k config.Key, cost float64, at time.Time) {
	if cost <= 0 {
		return
	}
	if k.MaxBudget != nil {
		spend, _ := w.tracker.Spend(k)
		w.notes.Budget().Observe(k, spend, at)
	}
	w.notes.Anomaly().Record(k.ID, k.Name, at, cost)
}

// watch runs the periodic notification work: held-back key_spend events, provider health
// debounce, key expiry and usage anomalies.
func watch(ctx context.Context, cfg *snapshot.Holder, notes *notify.Service) {
	tick := time.NewTicker(notify.SpendEventInterval)
	defer tick.Stop()
	var lastExpiry, lastAnomaly time.Time
	for {
		now := time.Now()
		notes.Budget().FlushSpend(now)
		notes.Health().Tick(now)
		if now.Sub(lastExpiry) >= time.Minute {
			lastExpiry = now
			s := cfg.Load()
			keys := make([]config.Key, 0, len(s.KeysByID))
			for _, k := range s.KeysByID {
				keys = append(keys, k.Key)
			}
			notes.Expiry().Scan(keys, now)
		}
		if now.Sub(lastAnomaly) >= 5*time.Minute {
			lastAnomaly = now
			notes.Anomaly().Check(now)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// pruneLogs deletes request logs older than log_retention_days, at start and then hourly.
func pruneLogs(ctx context.Context, db *store.DB, cfg *snapshot.Holder, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		days := cfg.Load().Settings.LogRetentionDays
		if days > 0 {
			n, err := db.PruneLogs(ctx, time.Now().AddDate(0, 0, -days))
			switch {
			case err != nil && ctx.Err() == nil:
				log.Error("pruning old request logs failed", "err", err)
			case n > 0:
				log.Info("pruned old request logs", "rows", n, "retention_days", days)
			}
			n, err = db.PruneResponses(ctx, time.Now().AddDate(0, 0, -days))
			switch {
			case err != nil && ctx.Err() == nil:
				log.Error("pruning old stored responses failed", "err", err)
			case n > 0:
				log.Info("pruned old stored responses", "rows", n, "retention_days", days)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// NewTransport is the shared upstream transport: large keep-alive pools, HTTP/2 where the
// upstream speaks it.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          2048,
		MaxIdleConnsPerHost:   512,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

func prepareDataDir(dir string) error {
	if dir == "" {
		return startupErr("no data directory: set --data-dir or CONDUIT_DATA_DIR")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return startupErr("data directory %s cannot be created: %v", dir, err)
	}
	f, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return startupErr("data directory %s is not writable: %v", dir, err)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

const masterKeySecret = "master_key"

// masterKey returns CONDUIT_MASTER_KEY, or the stored one, or generates, stores and announces
// a new one (keychain when that is the secrets backend, else master.key 0600 in the data dir).
func masterKey(ctx context.Context, o ServeOptions, sec secrets.Store) (key, generatedIn string, err error) {
	if k := strings.TrimSpace(o.MasterKey); k != "" {
		return k, "", nil
	}
	file := filepath.Join(o.DataDir, "master.key")
	if b, err := os.ReadFile(file); err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b)), "", nil
	}
	if sec.Backend() == "keyring" {
		if k, err := sec.Get(ctx, masterKeySecret); err == nil && k != "" {
			return k, "", nil
		}
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", err
	}
	k := "condt_master_" + base64.RawURLEncoding.EncodeToString(b[:])
	where := file
	if sec.Backend() == "keyring" {
		if err := sec.Set(ctx, masterKeySecret, k); err != nil {
			return "", "", fmt.Errorf("storing the generated master key in the keychain: %w", err)
		}
		where = "the OS keychain"
	} else if err := os.WriteFile(file, []byte(k+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("writing %s: %w", file, err)
	}
	fmt.Fprintf(o.Stderr, "\nConduit generated an admin master key (stored in %s). It is shown only this once:\n\n    %s\n\nUse it to log in to the web UI or as 'Authorization: Bearer <key>' on /admin.\n\n", where, k)
	return k, where, nil
}
