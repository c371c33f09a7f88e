package admission

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Door admits /v1 requests before their bodies are read. While Pressure sees no overload
// every request passes. Past capacity at most `limit` requests are inside at a time: the limit
// grows while the requests' latency stays near its calm baseline and shrinks by a tenth when
// it doubles (AIMD), so Conduit keeps serving at the rate it can instead of refusing a share
// of everything. A request over the limit waits up to maxWait for one inside to leave; the
// newest waiter is let in first (its client is still keen and the answer stays quick), and the
// ones left at the bottom are refused when their wait runs out. A waiting request costs only a
// parked goroutine, and its client's connection is not free to send more meanwhile.
type Door struct {
	overloaded func() bool
	now        func() time.Time
	maxWait    time.Duration
	inflight   atomic.Int64
	limit      atomic.Int64
	refused    atomic.Uint64

	wmu     sync.Mutex
	waiters []chan struct{} // newest last

	mu       sync.Mutex
	sum      time.Duration // latencies of the current window
	n        int
	baseline time.Duration
}

const (
	doorWindow   = 200 // requests per limit adjustment
	doorMinLimit = 8
	doorMaxLimit = 4096
	doorStep     = 4
	maxWaiters   = 4096
)

// NewDoor returns a door that limits while overloaded() says so; now is the clock latencies
// are measured with.
func NewDoor(overloaded func() bool, now func() time.Time, maxWait time.Duration) *Door {
	d := &Door{overloaded: overloaded, now: now, maxWait: maxWait}
	d.limit.Store(doorMaxLimit)
	return d
}

// Admit lets a request in or reports that it is refused; an admitted request calls Leave
// with the returned time when it is done.
func (d *Door) Admit(ctx context.Context) (entered time.Time, ok bool) {
	if d.inflight.Add(1) > d.limit.Load() && d.overloaded() {
		d.inflight.Add(-1)
		if !d.queue(ctx) {
			d.refused.Add(1)
			return time.Time{}, false
		}
	}
	return d.now(), true
}

// Leave is called when a request Admit let in at entered is done.
func (d *Door) Leave(entered time.Time) {
	d.observe(d.now().Sub(entered))
	d.leave()
}

// queue waits for a slot handed over by a leaving request.
func (d *Door) queue(ctx context.Context) bool {
	ch := make(chan struct{}, 1)
	d.wmu.Lock()
	if len(d.waiters) >= maxWaiters {
		d.wmu.Unlock()
		return false
	}
	d.waiters = append(d.waiters, ch)
	d.wmu.Unlock()
	t := time.NewTimer(d.maxWait)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	d.wmu.Lock()
	defer d.wmu.Unlock()
	for i, w := range d.waiters {
		if w == ch {
			d.waiters = append(d.waiters[:i], d.waiters[i+1:]...)
			return false
		}
	}
	return true // handed a slot just as the wait ran out
}

// leave hands the slot to the newest waiter while within the limit, else frees it.
func (d *Door) leave() {
	d.wmu.Lock()
	if n := len(d.waiters); n > 0 && d.inflight.Load() <= d.limit.Load() {
		ch := d.waiters[n-1]
		d.waiters = d.waiters[:n-1]
		d.wmu.Unlock()
		ch <- struct{}{}
		return
	}
	d.wmu.Unlock()
	d.inflight.Add(-1)
}

// observe adds one admitted request's latency; every doorWindow requests it steps the limit.
func (d *Door) observe(lat time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sum += lat
	d.n++
	if d.n < doorWindow {
		return
	}
	avg := d.sum / time.Duration(d.n)
	d.sum, d.n = 0, 0
	if d.baseline == 0 || avg < d.baseline {
		d.baseline = avg
	} else {
		d.baseline += d.baseline / 100 // drifts up so that one quick window does not pin it
	}
	if !d.overloaded() {
		// Calm: no limit, and the next overload starts from what is inside now.
		d.limit.Store(max(doorMinLimit, 2*d.inflight.Load()))
		return
	}
	l := d.limit.Load()
	if avg > 2*d.baseline {
		l = max(doorMinLimit, l*9/10)
	} else {
		l = min(doorMaxLimit, l+doorStep)
	}
	d.limit.Store(l)
}

// Refused is the number of requests turned away so far.
func (d *Door) Refused() uint64 { return d.refused.Load() }

// Limit is the concurrency limit in force while overloaded.
func (d *Door) Limit() int64 { return d.limit.Load() }
