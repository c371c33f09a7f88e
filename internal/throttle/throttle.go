// Package throttle slows credential guessing down: failed authentications are counted per
// client address, and an address with too many of them within a window is refused for a
// while.
//
// Valid requests pay one atomic load (Blocked, while no address is blocked); the address
// table is only touched on a failure or while some address is blocked.
package throttle

import (
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Throttle; zero values take the defaults named on each field.
type Options struct {
	// Limit is the number of failures within Window that blocks an address (default 10).
	Limit int
	// Window is the period failures are counted in (default 1 minute).
	Window time.Duration
	// Block is how long a tripped address is refused (default 1 minute).
	Block time.Duration
	// MaxAddrs bounds the addresses remembered; past it, addresses that are not blocked are
	// forgotten (default 65536).
	MaxAddrs int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Throttle counts failed authentications per client address. It is safe for concurrent use.
type Throttle struct {
	o        Options
	blocked  atomic.Int64 // addresses whose block may still run
	failures atomic.Uint64
	refused  atomic.Uint64
	trips    atomic.Uint64

	mu    sync.Mutex
	addrs map[string]*entry
}

type entry struct {
	count int       // failures since start
	start time.Time // start of the counting window
	until time.Time // end of the block; zero when not blocked
}

// New returns a Throttle.
func New(o Options) *Throttle {
	if o.Limit <= 0 {
		o.Limit = 10
	}
	if o.Window <= 0 {
		o.Window = time.Minute
	}
	if o.Block <= 0 {
		o.Block = time.Minute
	}
	if o.MaxAddrs <= 0 {
		o.MaxAddrs = 1 << 16
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Throttle{o: o, addrs: map[string]*entry{}}
}

// Blocked reports whether addr is refused now, and for how much longer.
func (t *Throttle) Blocked(addr string) (retryAfter time.Duration, blocked bool) {
	if t.blocked.Load() == 0 {
		return 0, false
	}
	now := t.o.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.addrs[addr]
	if e == nil || e.until.IsZero() {
		return 0, false
	}
	if !now.Before(e.until) {
		t.unblock(addr, e)
		return 0, false
	}
	t.refused.Add(1)
	return e.until.Sub(now), true
}

// Fail records a failed authentication from addr. When this failure blocks the address,
// tripped is true and retryAfter is the length of the block.
func (t *Throttle) Fail(addr string) (retryAfter time.Duration, tripped bool) {
	t.failures.Add(1)
	now := t.o.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.addrs[addr]
	if e == nil {
		if len(t.addrs) >= t.o.MaxAddrs {
			t.sweep(now)
		}
		e = &entry{start: now}
		t.addrs[addr] = e
	}
	if !e.until.IsZero() {
		if now.Before(e.until) {
			return e.until.Sub(now), false
		}
		t.unblock(addr, e)
		e = &entry{start: now}
		t.addrs[addr] = e
	}
	if now.Sub(e.start) >= t.o.Window {
		e.count, e.start = 0, now
	}
	e.count++
	if e.count < t.o.Limit {
		return 0, false
	}
	e.until = now.Add(t.o.Block)
	t.blocked.Add(1)
	t.trips.Add(1)
	return t.o.Block, true
}

// unblock forgets a block that ran out; the caller holds mu.
func (t *Throttle) unblock(addr string, e *entry) {
	delete(t.addrs, addr)
	if !e.until.IsZero() {
		t.blocked.Add(-1)
	}
}

// sweep forgets every address that is not blocked now; the caller holds mu.
func (t *Throttle) sweep(now time.Time) {
	for a, e := range t.addrs {
		if e.until.IsZero() || !now.Before(e.until) {
			t.unblock(a, e)
		}
	}
}

// Failures counts the failed authentications recorded.
func (t *Throttle) Failures() uint64 { return t.failures.Load() }

// Refused counts the requests refused because their address was blocked.
func (t *Throttle) Refused() uint64 { return t.refused.Load() }

// Trips counts the times an address was blocked.
func (t *Throttle) Trips() uint64 { return t.trips.Load() }
