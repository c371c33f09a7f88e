package gateway

import (
	"testing"
	"time"
)

func TestIdleWatch(t *testing.T) {
	tests := []struct {
		name    string
		quiet   time.Duration // since the last activity when the timer fires
		stopped bool
		cut     bool
	}{
		{"activity within the limit waits for the rest", time.Minute, false, false},
		{"quiet for the limit cuts", time.Hour, false, true},
		{"quiet past the limit cuts", 2 * time.Hour, false, true},
		{"a stopped watch never cuts", 2 * time.Hour, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cuts := 0
			w := newIdleWatch(time.Hour, func() { cuts++ }) // its own timer never fires here
			defer w.stop()
			w.touch()
			w.last.Store(int64(time.Since(w.start) - tc.quiet))
			if tc.stopped {
				w.stop()
			}
			w.check()
			if got := cuts == 1; got != tc.cut || w.stalled.Load() != tc.cut {
				t.Fatalf("cut %d times, stalled %v; want cut %v", cuts, w.stalled.Load(), tc.cut)
			}
		})
	}
}
