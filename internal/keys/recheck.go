package keys

import (
	"context"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Recheck looks a key this instance does not know up in the store before it is refused: a key
// created on another instance may reach a request here before the change does (the change
// fan-out is reconnecting, or simply a few milliseconds behind). When the store knows the
// key, the configuration is reloaded and the key is served like any other.
//
// Lookups are bounded so that bad keys cannot turn into database load: concurrent requests
// with one key share one lookup, and at most Limit lookups run per Window; beyond that a key
// is refused without one. The zero value is not usable: set Known and Reload.
type Recheck struct {
	// Known reports whether a key with this hash (lowercase hex) is stored.
	Known func(ctx context.Context, hashHex string) (bool, error)
	// Reload rebuilds the configuration from the store.
	Reload func(ctx context.Context) error
	// Has reports whether the current configuration holds the key with this hash.
	Has func(hash [32]byte) bool
	// Limit lookups per Window (defaults 5 per second).
	Limit  int
	Window time.Duration
	// Timeout bounds a lookup and reload (default 2 s).
	Timeout time.Duration
	Now     func() time.Time // default time.Now
	Logger  *slog.Logger     // default slog.Default()

	flight      singleflight.Group
	mu          sync.Mutex
	windowStart time.Time
	used        int
}

// Lookup reports whether the key with this hash is in the configuration after a lookup in the
// store (false when the store does not know it, the lookup failed, or no lookup was allowed).
// The lookup runs detached from ctx, so that one client going away does not fail the others
// sharing it; ctx only bounds this caller's wait.
func (r *Recheck) Lookup(ctx context.Context, hash [32]byte) bool {
	ch := r.flight.DoChan(string(hash[:]), func() (any, error) { return r.lookup(hash), nil })
	select {
	case res := <-ch:
		return res.Val.(bool)
	case <-ctx.Done():
		return false
	}
}

func (r *Recheck) lookup(hash [32]byte) bool {
	if r.Has(hash) { // loaded for an earlier lookup meanwhile
		return true
	}
	if !r.allow() {
		return false
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	known, err := r.Known(ctx, hex.EncodeToString(hash[:]))
	if err != nil {
		r.logger().Warn("keys: could not look an unknown key up in the store", "err", err)
		return false
	}
	if !known {
		return false
	}
	if r.Has(hash) { // a reload for another request brought it meanwhile
		return true
	}
	if err := r.Reload(ctx); err != nil {
		r.logger().Warn("keys: could not reload the configuration for a key the store knows", "err", err)
		return false
	}
	return r.Has(hash)
}

// allow takes one lookup from the current window's allowance.
func (r *Recheck) allow() bool {
	limit, window := r.Limit, r.Window
	if limit <= 0 {
		limit = 5
	}
	if window <= 0 {
		window = time.Second
	}
	now := time.Now()
	if r.Now != nil {
		now = r.Now()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.windowStart) >= window {
		r.windowStart, r.used = now, 0
	}
	if r.used >= limit {
		return false
	}
	r.used++
	return true
}

func (r *Recheck) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}
