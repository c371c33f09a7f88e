package gateway

import (
	"sync"
	"sync/atomic"
	"time"
)

// idleWatch cuts a stream quiet for longer than its limit. Activity is noted on a monotonic
// clock (touch: one clock read and one atomic store, cheaper than resetting a timer per
// chunk); the timer, when it fires, measures the quiet since the last activity and waits
// for the rest of the limit when there was some, so the cut comes exactly limit after the
// last activity.
type idleWatch struct {
	limit   time.Duration
	stalled atomic.Bool  // the limit was reached and the attempt cut
	start   time.Time    // with a monotonic reading: time.Since reads only that clock
	last    atomic.Int64 // when the latest activity was, in nanoseconds since start
	cut     func()

	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
}

func newIdleWatch(limit time.Duration, cut func()) *idleWatch {
	w := &idleWatch{limit: limit, start: time.Now(), cut: cut}
	w.mu.Lock()
	w.timer = time.AfterFunc(limit, w.check)
	w.mu.Unlock()
	return w
}

// touch notes activity: the limit counts again from now.
func (w *idleWatch) touch() { w.last.Store(int64(time.Since(w.start))) }

// retarget makes the watch count a new limit from now: an attempt watched until its first
// chunk goes on being watched for the quiet between its chunks.
func (w *idleWatch) retarget(limit time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.limit = limit
	w.stalled.Store(false)
	w.touch()
	if !w.stopped {
		w.timer.Reset(limit)
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
	if quiet := time.Since(w.start) - time.Duration(w.last.Load()); quiet < w.limit {
		w.timer.Reset(w.limit - quiet)
		return
	}
	w.stalled.Store(true)
	w.cut()
}
