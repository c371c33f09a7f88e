package runtime

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/conduit-gw/conduit/internal/datadir"
)

// Face builds the HTTP handler served over a built runtime (the backend package's routes).
type Face func(*Runtime) http.Handler

// Serve runs the gateway until ctx ends, then shuts down cleanly (see Running.Stop).
func Serve(ctx context.Context, o Options, face Face) error {
	srv, err := Start(ctx, o, face)
	if err != nil {
		return err
	}
	select {
	case err := <-srv.failed:
		_ = srv.Stop()
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	return srv.Stop()
}

// Running is a gateway serving on its address.
type Running struct {
	Runtime *Runtime
	Handler http.Handler // what face built
	URL     string
	hs      *http.Server
	failed  chan error
	lock    *datadir.Lock
}

// Start builds the gateway and serves face's handler on o.Addr in the background.
func Start(ctx context.Context, o Options, face Face) (*Running, error) {
	tlsConf, err := listenerTLS(o.TLSCert, o.TLSKey)
	if err != nil {
		return nil, err
	}
	if err := datadir.Prepare(o.DataDir); err != nil {
		return nil, &StartupError{Err: err}
	}
	// One server per data directory; restore refuses to run while the lock is held.
	lock, err := datadir.Acquire(o.DataDir)
	if err != nil {
		return nil, startupErr("%v: %s (stop it, or use another --data-dir)", err, o.DataDir)
	}
	// Listen before building: a busy port fails the start before a master key is generated
	// (and shown) or the database created for a server that never serves.
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		_ = lock.Release()
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, startupErr("cannot listen on %s: the address is already in use (is another Conduit running? use --addr)", o.Addr)
		}
		return nil, startupErr("cannot listen on %s: %v", o.Addr, err)
	}
	rt, err := Build(ctx, o)
	if err != nil {
		_ = ln.Close()
		_ = lock.Release()
		return nil, err
	}
	o, log := rt.Options, rt.Options.Logger
	scheme := "http://"
	if tlsConf != nil {
		ln = tls.NewListener(ln, tlsConf)
		scheme = "https://"
	}
	rt.ListenURL = scheme + ln.Addr().String()
	h := face(rt)
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		TLSConfig:         tlsConf,
	}
	r := &Running{Runtime: rt, Handler: h, URL: rt.ListenURL, hs: hs, failed: make(chan error, 1), lock: lock}
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

// listenerTLS loads the listener's certificate and key; nil, nil when neither is given.
func listenerTLS(certFile, keyFile string) (*tls.Config, error) {
	if certFile == "" && keyFile == "" {
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, startupErr("TLS needs both --tls-cert and --tls-key")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, startupErr("TLS certificate %s / key %s: %v", certFile, keyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"}}, nil
}

// Failed reports a serving error (the listener died).
func (r *Running) Failed() <-chan error { return r.failed }

// Stop shuts down in order: stop accepting and finish in-flight requests (bounded by
// ShutdownTimeout; past it they are cut off), then Runtime.Close: stop the background loops
// and wait for them, flush every usage record, close the database.
func (r *Running) Stop() error {
	o, log := r.Runtime.Options, r.Runtime.Options.Logger
	log.Info("shutting down: finishing in-flight requests")
	r.Runtime.Bus.Close() // ends live event streams, which would otherwise hold Shutdown open
	sctx, cancel := context.WithTimeout(context.Background(), o.ShutdownTimeout)
	defer cancel()
	if err := r.hs.Shutdown(sctx); err != nil {
		log.Warn("in-flight requests did not finish in time; closing them", "err", err)
		_ = r.hs.Close()
	}
	cctx, cancel := context.WithTimeout(context.Background(), o.ShutdownTimeout)
	defer cancel()
	err := r.Runtime.Close(cctx)
	_ = r.lock.Release()
	if err != nil {
		log.Error("shutdown incomplete", "err", err)
		return err
	}
	log.Info("stopped cleanly", "usage_rows_written", r.Runtime.Usage.Written(), "usage_rows_dropped", r.Runtime.Usage.Dropped())
	return nil
}
