package gateway

import (
	"testing"
	"time"
)

func TestIdleWatch(t *testing.T) {
	tests := []struct {
		name    string
		quiet   time.Duration // since the last activity when the timer fires
		elapsed time.Duration // since the watch started when the timer fires
		stopped bool
		stalled bool
		expired bool
	}{
		{"activity within the limit waits for the rest", time.Minute, 0, false, false, false},
		{"quiet for the limit cuts", time.Hour, 0, false, true, false},
		{"quiet past the limit cuts", 2 * time.Hour, 0, false, true, false},
		{"active but past the deadline cuts", time.Minute, 3 * time.Hour, false, false, true},
		{"quiet and past the deadline is out of time", 2 * time.Hour, 3 * time.Hour, false, false, true},
		{"a stopped watch never cuts", 2 * time.Hour, 3 * time.Hour, true, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cuts := 0
			w := newIdleWatch(time.Hour, 3*time.Hour, func() { cuts++ }) // its own timer never fires here
			defer w.stop()
			w.start = w.start.Add(-tc.elapsed)
			w.last.Store(int64(time.Since(w.start) - tc.quiet))
			if tc.stopped {
				w.stop()
			}
			w.check()
			cut := tc.stalled || tc.expired
			if got := cuts == 1; got != cut || w.stalled.Load() != tc.stalled || w.expired.Load() != tc.expired {
				t.Fatalf("cut %d times, stalled %v, expired %v; want stalled %v, expired %v",
					cuts, w.stalled.Load(), w.expired.Load(), tc.stalled, tc.expired)
			}
		})
	}
}

func TestIdleWatchRetargetKeepsTheDeadline(t *testing.T) {
	cut := make(chan struct{})
	w := newIdleWatch(time.Hour, 50*time.Millisecond, func() { close(cut) })
	defer w.stop()
	w.retarget(time.Hour) // the first chunk came: from now on the idle limit, still within the attempt's time
	<-cut
	if !w.expired.Load() || w.stalled.Load() {
		t.Fatalf("expired %v, stalled %v; want the attempt out of time", w.expired.Load(), w.stalled.Load())
	}
}
