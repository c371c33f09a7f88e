package admission

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Door admits /v1 requests before their bodies are read, at most `limit` of them inside at a
// time while the limit is in force. It is in force while Pressure says the process is past
// capacity and for calmHold after (armed), and after that while the limit still holds
// requests back (the ramp); once calmHold passes with nobody held back the door is open:
// every request passes and the limit follows what is inside, so that the next overload
// starts from the load that caused it.
//
// Armed, the limit follows the process's own CPU queue (the Go scheduler's latency): down while
// runnable goroutines wait longer than a target for a CPU, up while they wait under half of
// it. Time a request spends waiting on its upstream does not count, so a slow upstream does
// not shrink the limit, and the limit grows until Conduit's CPU is busy. On the ramp it grows
// by at most its size per rampTime while it holds requests back, so the end of an overload is
// a probe for the capacity regained, not a flood of everyone waiting.
//
// A request over the limit waits at the door. A leaving request hands its slot to the newest
// waiter, and only to one that arrived within admitWait: an answered request queues at most
// admitWait, however long the overload lasts (a stack with a deadline, as CoDel keeps a
// queue's delay at a target: newest first, the queue's delay is that of the newest waiter).
// A waiter not let in by then is refused about holdWait after it arrived, or as soon as a slot
// frees with the door half empty and nobody fresher waiting. The hold is not a second chance:
// it keeps that client's connection busy, so that a client which resends at once cannot turn
// fast refusals into a flood that takes the CPU the admitted requests need; but it ends early
// when the door is draining for want of new requests, whose client then sends a fresh one.
type Door struct {
	overloaded func() bool
	now        func() time.Time
	admitWait  time.Duration
	holdWait   time.Duration
	latency    func() time.Duration
	target     time.Duration
	minLimit   int64

	inflight   atomic.Int64
	limit      atomic.Int64
	armedUntil atomic.Int64 // unix ns
	holdUntil  atomic.Int64 // unix ns: calmHold after the limit last held a request back
	refused    atomic.Uint64
	held       atomic.Int64 // requests waiting at the door

	wmu     sync.Mutex
	waiters []*waiter // oldest first; the ones that arrived within admitWait may be let in
	queued  bool      // a request waited in the current window

	mu    sync.Mutex
	start time.Time // of the current window
}

// waiter is a request waiting at the door. state goes from waiting to either admitted (a
// leaving request handed it its slot) or gone (it gave up); whoever moves it first decides.
type waiter struct {
	since time.Time
	state atomic.Int32
	ch    chan struct{}
}

const (
	waiting int32 = iota
	admitted
	gone
)

const (
	doorWindowTime = 50 * time.Millisecond // a window's length: the limit steps once a window
	doorMaxLimit   = 4096
	calmHold       = time.Second
	rampTime       = time.Second
	maxHeld        = 8192
)

// DoorOptions configure a Door.
type DoorOptions struct {
	// Overloaded says whether the process is past capacity (Pressure.Overloaded); it arms
	// the door.
	Overloaded func() bool
	// Now is the door's clock.
	Now func() time.Time
	// A request over the limit is let in only within AdmitWait of arriving and is refused
	// about HoldWait after arriving (at least AdmitWait).
	AdmitWait, HoldWait time.Duration
	// Latency is the process's CPU queueing delay now (Pressure.Latency); armed, the limit
	// keeps it near Target.
	Latency func() time.Duration
	Target  time.Duration
	// MinLimit is the lowest the limit goes: a process starved of CPU by other work has
	// every request take longer, and no limit would bring that back.
	MinLimit int
}

// NewDoor returns a door with o; it starts open.
func NewDoor(o DoorOptions) *Door {
	d := &Door{overloaded: o.Overloaded, now: o.Now, admitWait: o.AdmitWait, holdWait: max(o.HoldWait, o.AdmitWait),
		latency: o.Latency, target: o.Target, minLimit: int64(max(1, o.MinLimit))}
	d.limit.Store(doorMaxLimit)
	return d
}

// Admit lets a request in (true) or reports that it is refused; an admitted request calls
// Leave when it is done.
func (d *Door) Admit(ctx context.Context) bool {
	if d.inflight.Add(1) <= d.limit.Load() {
		return true
	}
	now := d.now()
	if !d.armed(now) && now.UnixNano() >= d.holdUntil.Load() {
		return true
	}
	d.inflight.Add(-1)
	if !d.wait(ctx, now) {
		d.refused.Add(1)
		return false
	}
	return true
}

// armed reports whether the limit is enforced at now, and extends it while overloaded.
func (d *Door) armed(now time.Time) bool {
	if d.overloaded() {
		d.armedUntil.Store(now.Add(calmHold).UnixNano())
		return true
	}
	return now.UnixNano() < d.armedUntil.Load()
}

// Leave is called when a request Admit let in is done.
func (d *Door) Leave() {
	now := d.now()
	d.observe(now)
	d.leave(now)
}

// wait parks a request that arrived at now over the limit until a leaving request hands it a
// slot (true) or refuses it early, or its hold ends (false).
func (d *Door) wait(ctx context.Context, now time.Time) bool {
	if d.held.Add(1) > maxHeld {
		d.held.Add(-1)
		return false
	}
	defer d.held.Add(-1)
	w := &waiter{since: now, ch: make(chan struct{}, 1)}
	d.wmu.Lock()
	d.queued = true
	if d.inflight.Load() < d.limit.Load() { // everyone left while it came to wait
		d.inflight.Add(1)
		d.wmu.Unlock()
		return true
	}
	for len(d.waiters) > 0 && d.waiters[0].state.Load() != waiting { // gone before their turn
		d.waiters[0] = nil
		d.waiters = d.waiters[1:]
	}
	d.waiters = append(d.waiters, w)
	d.wmu.Unlock()
	t := time.NewTimer(d.hold())
	defer t.Stop()
	select {
	case <-w.ch:
	case <-t.C:
	case <-ctx.Done():
	}
	if w.state.CompareAndSwap(waiting, gone) {
		return false
	}
	return w.state.Load() == admitted // a leaving request decided first
}

// hold is how long a request that is not let in waits before it is refused: holdWait give or
// take a third, at random, so that the clients refused together do not all come back together
// while the longest hold stays close to the average one (which sets how often a client that
// resends at once is refused).
func (d *Door) hold() time.Duration {
	spread := d.holdWait / 3
	return max(d.admitWait, d.holdWait-spread+rand.N(2*spread+1))
}

// leave hands the slot to the newest waiter if it arrived within admitWait and the door is
// within its limit, else frees it for the next request to arrive. Once the door has emptied
// to half its limit with only stale waiters left, their clients are the ones that could send
// something new, and they cannot while held: the oldest of them is refused at once. Refusing
// one at every leave instead would turn each gap in arrivals into refusals that the clients
// resend at once, as many again as the answers, which costs both sides the CPU the answers
// need.
func (d *Door) leave(now time.Time) {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if in, l := d.inflight.Load(), d.limit.Load(); in <= l {
		for n := len(d.waiters); n > 0 && now.Sub(d.waiters[n-1].since) <= d.admitWait; n-- {
			w := d.waiters[n-1]
			d.waiters[n-1] = nil
			d.waiters = d.waiters[:n-1]
			if w.state.CompareAndSwap(waiting, admitted) {
				w.ch <- struct{}{}
				return
			}
		}
		for in <= max(1, l/2) && len(d.waiters) > 0 {
			w := d.waiters[0]
			d.waiters[0] = nil
			d.waiters = d.waiters[1:]
			if w.state.CompareAndSwap(waiting, gone) {
				w.ch <- struct{}{}
				break
			}
		}
	}
	d.inflight.Add(-1)
}

// observe counts a request leaving; at the end of a window it steps the limit.
func (d *Door) observe(now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.start.IsZero() {
		d.start = now
	}
	length := now.Sub(d.start)
	if length < doorWindowTime {
		return
	}
	d.start = now
	d.wmu.Lock()
	queued := d.queued
	d.queued = false
	d.wmu.Unlock()
	armed := d.armed(now)
	l := d.limit.Load()
	switch {
	case armed:
		l = d.follow(l, d.latency())
	case queued: // the ramp
		l = min(doorMaxLimit, l+max(1, int64(float64(l)*float64(length)/float64(rampTime))))
	case now.UnixNano() < d.holdUntil.Load(): // the ramp, with nobody held back for now
	default: // open
		l = max(d.minLimit, 2*d.inflight.Load())
	}
	d.limit.Store(l)
	if queued {
		d.holdUntil.Store(now.Add(calmHold).UnixNano())
	}
}

// follow is the next limit while armed, with q the process's CPU queueing delay now: a tenth
// down while q is over the target (requests queue for Conduit's own CPU), half while it is
// over twice the target (an overload that began with the door open, which let everyone in:
// the limit starts from what was inside and must come down within a few windows, not a
// second and a half), a sixteenth up while it is under half of it (there is CPU to spare:
// requests inside are waiting on their upstreams), else unchanged.
func (d *Door) follow(l int64, q time.Duration) int64 {
	switch {
	case q > 2*d.target:
		return max(d.minLimit, l/2)
	case q > d.target:
		return max(d.minLimit, l*9/10)
	case q < d.target/2:
		return min(doorMaxLimit, l+max(1, l/16))
	}
	return l
}

// Refused is the number of requests turned away so far.
func (d *Door) Refused() uint64 { return d.refused.Load() }

// Limit is the concurrency limit in force while armed.
func (d *Door) Limit() int64 { return d.limit.Load() }
