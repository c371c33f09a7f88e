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
// Armed, the limit is Little's law on the time requests spend inside (not their wait at the
// door): the rate at which they leave times the time each may take, its calm baseline plus a
// target. On the ramp it grows by at most its size per rampTime while it holds requests
// back, so the end of an overload is a probe for the capacity regained, not a flood of
// everyone waiting.
//
// A request over the limit waits at the door. A leaving request hands its slot to the newest
// waiter, and only to one that arrived within admitWait: its client is still keen and its
// answer stays quick (a stack with a deadline, as CoDel keeps a queue's delay at a target).
// A waiter not let in by then is refused about holdWait after it arrived. The hold is not a
// second chance: it keeps that client's connection busy, so that a client which resends at
// once cannot turn fast refusals into a flood that takes the CPU the admitted requests need.
type Door struct {
	overloaded func() bool
	now        func() time.Time
	admitWait  time.Duration
	holdWait   time.Duration
	target     time.Duration
	minLimit   int64

	inflight   atomic.Int64
	limit      atomic.Int64
	armedUntil atomic.Int64 // unix ns
	holdUntil  atomic.Int64 // unix ns: calmHold after the limit last held a request back
	refused    atomic.Uint64
	held       atomic.Int64 // requests waiting at the door

	wmu     sync.Mutex
	waiters []*waiter // the ones still to be let in, oldest first
	queued  bool      // a request waited in the current window

	mu       sync.Mutex
	start    time.Time     // of the current window
	sum      time.Duration // time inside of the requests that left in the current window
	n        int
	baseline time.Duration
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
	doorWindow     = 200                    // requests per limit adjustment, at most
	doorWindowTime = 100 * time.Millisecond // a window's length, at most
	doorMinSamples = 10                     // fewer leave no mark on the limit
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
	// Target is how much longer than their calm baseline requests may spend inside while
	// the door is armed.
	Target time.Duration
	// MinLimit is the lowest the limit goes: a process starved of CPU by other work has
	// every request take longer, and no limit would bring that back.
	MinLimit int
}

// NewDoor returns a door with o; it starts open.
func NewDoor(o DoorOptions) *Door {
	d := &Door{overloaded: o.Overloaded, now: o.Now, admitWait: o.AdmitWait, holdWait: max(o.HoldWait, o.AdmitWait),
		target: o.Target, minLimit: int64(max(1, o.MinLimit))}
	d.limit.Store(doorMaxLimit)
	return d
}

// Admit lets a request in or reports that it is refused; an admitted request calls Leave
// with the returned time when it is done.
func (d *Door) Admit(ctx context.Context) (entered time.Time, ok bool) {
	if d.inflight.Add(1) <= d.limit.Load() {
		return d.now(), true
	}
	now := d.now()
	if !d.armed(now) && now.UnixNano() >= d.holdUntil.Load() {
		return now, true
	}
	d.inflight.Add(-1)
	if !d.wait(ctx, now) {
		d.refused.Add(1)
		return time.Time{}, false
	}
	return d.now(), true
}

// armed reports whether the limit is enforced at now, and extends it while overloaded.
func (d *Door) armed(now time.Time) bool {
	if d.overloaded() {
		d.armedUntil.Store(now.Add(calmHold).UnixNano())
		return true
	}
	return now.UnixNano() < d.armedUntil.Load()
}

// Leave is called when a request Admit let in at entered is done.
func (d *Door) Leave(entered time.Time) {
	now := d.now()
	d.observe(now, now.Sub(entered))
	d.leave(now)
}

// wait parks a request that arrived at now over the limit until a leaving request hands it a
// slot (true) or its hold ends (false).
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
	d.trim(now)
	d.waiters = append(d.waiters, w)
	d.wmu.Unlock()
	t := time.NewTimer(d.hold())
	defer t.Stop()
	select {
	case <-w.ch:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	// Handed a slot just as its time ran out: it takes it.
	return !w.state.CompareAndSwap(waiting, gone)
}

// hold is how long a request that is not let in waits before it is refused: holdWait give or
// take half, at random, so that the clients refused together do not all come back together.
func (d *Door) hold() time.Duration {
	return max(d.admitWait, d.holdWait/2+rand.N(d.holdWait+1))
}

// trim drops the waiters that arrived more than admitWait before now: they are no longer let
// in (each refuses itself when its hold ends). The caller holds wmu.
func (d *Door) trim(now time.Time) {
	i := 0
	for i < len(d.waiters) && now.Sub(d.waiters[i].since) > d.admitWait {
		d.waiters[i] = nil
		i++
	}
	d.waiters = d.waiters[i:]
}

// leave hands the slot to the newest waiter that may still come in while within the limit,
// else frees it.
func (d *Door) leave(now time.Time) {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if d.inflight.Load() <= d.limit.Load() {
		d.trim(now)
		for n := len(d.waiters); n > 0; n-- {
			w := d.waiters[n-1]
			d.waiters[n-1] = nil
			d.waiters = d.waiters[:n-1]
			if w.state.CompareAndSwap(waiting, admitted) {
				w.ch <- struct{}{}
				return
			}
		}
	}
	d.inflight.Add(-1)
}

// observe adds one request's time inside; at the end of a window it steps the limit.
func (d *Door) observe(now time.Time, inside time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.start.IsZero() {
		d.start = now
	}
	d.sum += inside
	d.n++
	length := now.Sub(d.start)
	if d.n < doorWindow && (length < doorWindowTime || d.n < doorMinSamples) {
		return
	}
	avg := d.sum / time.Duration(d.n)
	d.sum, d.n, d.start = 0, 0, now
	d.wmu.Lock()
	queued := d.queued
	d.queued = false
	d.wmu.Unlock()
	armed := d.armed(now)
	l := d.limit.Load()
	switch {
	case armed:
		l = d.littlesLaw(l, avg)
	case queued: // the ramp
		l = min(doorMaxLimit, l+max(1, int64(float64(l)*float64(length)/float64(rampTime))))
	case now.UnixNano() < d.holdUntil.Load(): // the ramp, with nobody held back for now
	default: // open: the baseline is learnt while calm only
		if d.baseline == 0 || avg < d.baseline {
			d.baseline = avg
		} else {
			d.baseline += d.baseline / 100 // drifts up so that one quick window does not pin it
		}
		l = max(d.minLimit, 2*d.inflight.Load())
	}
	d.limit.Store(l)
	if queued {
		d.holdUntil.Store(now.Add(calmHold).UnixNano())
	}
}

// littlesLaw is the next limit after a window whose requests spent avg inside:
// limit × (baseline+target)/avg, moved at most halfway down or a quarter up.
func (d *Door) littlesLaw(l int64, avg time.Duration) int64 {
	next := int64(float64(l) * float64(d.baseline+d.target) / float64(max(avg, 1)))
	next = min(max(next, l/2), l+max(1, l/4))
	return min(max(next, d.minLimit), doorMaxLimit)
}

// Refused is the number of requests turned away so far.
func (d *Door) Refused() uint64 { return d.refused.Load() }

// Limit is the concurrency limit in force while armed.
func (d *Door) Limit() int64 { return d.limit.Load() }
