package admission

import (
	"context"
	"math"
	"testing"
	"time"
)

func TestPressureController(t *testing.T) {
	const target = 5 * time.Millisecond
	p := NewPressure(target, 0.9)
	share := func() float64 { return math.Round(p.Share()*100) / 100 }
	steps := []struct {
		q    time.Duration
		want float64 // share after the step
	}{
		{0, 0},
		{target, 0},            // at the target: nothing shed yet
		{2 * target, 0.10},     // twice over: two steps up
		{100 * target, 0.30},   // far over: at most maxUpFactor steps
		{target * 3 / 4, 0.30}, // between half and the target: hold
		{target / 3, 0.28},     // under half: down
		{target / 10, 0.23},    // under a quarter: down faster
		{100 * target, 0.43},   //
		{100 * target, 0.63},   //
		{100 * target, 0.83},   //
		{100 * target, 0.95},   // capped: a trickle still gets through
		{100 * target, 0.95},   //
		{0, 0.90},              //
		{0, 0.85},              //
	}
	for i, s := range steps {
		p.observe(s.q)
		if got := share(); got != s.want {
			t.Fatalf("step %d (q=%v): share %.2f, want %.2f", i, s.q, got, s.want)
		}
	}
	for range 30 {
		p.observe(0)
	}
	if p.Share() != 0 || p.Overloaded() {
		t.Fatalf("share %v after a calm spell; want 0, not overloaded", p.Share())
	}
	if p.Latency() != 0 {
		t.Fatalf("latency %v", p.Latency())
	}
}

func TestQuantile(t *testing.T) {
	buckets := []float64{0, 0.001, 0.01, 0.1, math.Inf(1)}
	tests := []struct {
		counts []uint64
		q      float64
		want   time.Duration
	}{
		{[]uint64{10, 0, 0, 0}, 0.9, time.Millisecond},
		{[]uint64{89, 11, 0, 0}, 0.9, 10 * time.Millisecond},
		{[]uint64{90, 10, 0, 0}, 0.9, time.Millisecond},
		{[]uint64{0, 0, 0, 5}, 0.9, 100 * time.Millisecond}, // the open bucket reports its floor
	}
	for _, tt := range tests {
		var total uint64
		for _, c := range tt.counts {
			total += c
		}
		if got := quantile(tt.counts, total, buckets, tt.q); got != tt.want {
			t.Errorf("quantile(%v, %v) = %v, want %v", tt.counts, tt.q, got, tt.want)
		}
	}
}

// Run reads the real scheduler histogram; the share rises only while the process itself is
// busy (here faked: a CPU clock that runs at 100% of every CPU, or stands still).
func TestPressureRunNeedsOwnLoad(t *testing.T) {
	for _, busy := range []bool{true, false} {
		p := NewPressure(time.Nanosecond, 0.5) // any scheduling delay is over this target
		start := time.Now()
		p.cpu = func() (time.Duration, bool) {
			if !busy {
				return time.Second, true
			}
			return time.Since(start) * time.Duration(p.procs), true
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			p.Run(ctx, time.Millisecond)
			close(done)
		}()
		deadline := time.Now().Add(5 * time.Second)
		for p.Share() == 0 && time.Now().Before(deadline) && (busy || time.Since(start) < 200*time.Millisecond) {
			time.Sleep(time.Millisecond)
		}
		cancel()
		<-done
		if shed := p.Share() > 0; shed != busy {
			t.Errorf("busy=%v: share %v", busy, p.Share())
		}
	}
}
