package gateway

import (
	"sync"
	"sync/atomic"
	"time"
)

// idleWatch bounds one attempt with one timer: its whole time (the provider's timeout_ms)
// and the quiet before its first chunk, then between chunks. Activity is noted on a
// monotonic clock (touch: one clock read and one atomic store, cheaper than resetting a
// timer per chunk); the timer, when it fires, measures the quiet since the last activity and
// waits for the rest of the limit when there was some, so the cut comes exactly limit after
// the last activity, or at the attempt's deadline if that comes first.
type idleWatch struct {
	limit    time.Duration
	deadline time.Duration // since start: the attempt's time is up
	stalled  atomic.Bool   // the limit was reached and the attempt cut
	expired  atomic.Bool   // the deadline was reached and the attempt cut
	start    time.Time     // with a monotonic reading: time.Since reads only that clock
	last     atomic.Int64  // when the latest activity was, in nanoseconds since start
	cut      func()

	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
}

// newIdleWatch watches an attempt that may take total in all and stay quiet for limit.
func newIdleWatch(limit, total time.Duration, cut func()) *idleWatch {
	w := &idleWatch{limit: limit, deadline: total, start: time.Now(), cut: cut}
	w.mu.Lock()
	w.timer = time.AfterFunc(min(limit, total), w.check)
	w.mu.Unlock()
	return w
}

// touch notes activity: the limit counts again from now.
func (w *idleWatch) touch() { w.last.Store(int64(time.Since(w.start))) }

// retarget makes the watch count a new limit from now: an attempt watched until its first
// chunk goes on being watched for the quiet between its chunks (its deadline stays).
func (w *idleWatch) retarget(limit time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.limit = limit
	w.stalled.Store(false)
	now := time.Since(w.start)
	w.last.Store(int64(now))
	if !w.stopped && !w.expired.Load() {
		w.timer.Reset(min(limit, w.deadline-now))
	}
}

// stop ends the watch: the stream is not cut after it returns.
func (w *idleWatch) stop() {
	w.mu.Lock()
	w.stopped = true
	w.timer.Stop()
	w.mu.Unlock()
}

func (w *idleWatch) check() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	now := time.Since(w.start)
	quiet := now - time.Duration(w.last.Load())
	switch {
	case now >= w.deadline:
		w.expired.Store(true)
	case quiet >= w.limit:
		w.stalled.Store(true)
	default:
		w.timer.Reset(min(w.limit-quiet, w.deadline-now))
		return
	}
	w.cut()
}
