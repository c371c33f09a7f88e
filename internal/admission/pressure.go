package admission

import (
	"context"
	"math"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync/atomic"
	"time"
)

// Pressure says whether the process is past capacity, as a level from 0 to 1 (Door limits
// requests while it is above 0). Its signal is the Go scheduler's latency (how long runnable
// goroutines wait for a CPU), read from runtime/metrics: past capacity every connection's goroutine queues for the CPU before a
// request is even parsed, which no semaphore inside the handler can see. While the chosen
// quantile of that latency stays above the target and the process itself uses at least
// minBusy of its CPUs, the level rises; otherwise it falls back to zero. A machine busy with
// other work (a build on a laptop) also delays the scheduler, but then Conduit's own CPU use
// is low and nothing is refused.
type Pressure struct {
	target   time.Duration
	quantile float64
	drop     atomic.Uint32 // the overload level, in 1/dropScale
	lastQ    atomic.Int64  // the last interval's latency quantile, in ns

	sample  []metrics.Sample
	prev    []uint64
	buckets []float64
	cpu     func() (time.Duration, bool)
	procs   int
	lastCPU time.Duration
	lastAt  time.Time
}

// minBusy is the share of GOMAXPROCS the process must keep busy for its scheduler latency to
// count as its own overload.
const minBusy = 0.25

const (
	dropScale = 1 << 16
	// maxDrop caps the level, so that it falls back quickly once the overload ends.
	maxDrop = dropScale * 95 / 100
	// dropUp is the step up of one interval over the target (times how far over, up to
	// maxUpFactor). Under half the target the share steps down by dropDown, under a quarter
	// by dropDownFast (the backlog that made it rise is gone); in between it holds.
	dropUp       = dropScale * 5 / 100
	maxUpFactor  = 4
	dropDown     = dropScale * 2 / 100
	dropDownFast = dropScale * 5 / 100
)

const schedLatencies = "/sched/latencies:seconds"

// NewPressure watches the q quantile (0 < q < 1) of scheduling latency against target.
func NewPressure(target time.Duration, q float64) *Pressure {
	return &Pressure{target: target, quantile: q,
		sample: []metrics.Sample{{Name: schedLatencies}}, cpu: processCPU, procs: runtime.GOMAXPROCS(0)}
}

// Run samples the scheduler every interval until ctx ends.
func (p *Pressure) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	p.read() // baselines
	p.busy(time.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			q, ok := p.read()
			busy, known := p.busy(now)
			if !ok || !known {
				continue
			}
			p.lastQ.Store(int64(q))
			if busy < minBusy {
				q = 0 // not this process's overload
			}
			p.step(q)
		}
	}
}

// busy is the share of GOMAXPROCS CPUs the process used since the previous call.
func (p *Pressure) busy(now time.Time) (float64, bool) {
	c, ok := p.cpu()
	if !ok {
		return 0, false
	}
	prevC, prevAt := p.lastCPU, p.lastAt
	p.lastCPU, p.lastAt = c, now
	wall := now.Sub(prevAt)
	if prevAt.IsZero() || wall <= 0 {
		return 0, false
	}
	return float64(c-prevC) / float64(wall) / float64(p.procs), true
}

// read returns the quantile of the scheduling latencies since the previous read.
func (p *Pressure) read() (time.Duration, bool) {
	metrics.Read(p.sample)
	if p.sample[0].Value.Kind() != metrics.KindFloat64Histogram {
		return 0, false
	}
	h := p.sample[0].Value.Float64Histogram()
	if len(h.Buckets) != len(h.Counts)+1 {
		return 0, false
	}
	if len(p.prev) != len(h.Counts) { // first read, or the runtime changed its buckets
		p.prev = slices.Clone(h.Counts)
		p.buckets = slices.Clone(h.Buckets)
		return 0, false
	}
	var total uint64
	delta := make([]uint64, len(h.Counts))
	for i, c := range h.Counts {
		delta[i] = c - p.prev[i]
		total += delta[i]
	}
	copy(p.prev, h.Counts)
	if total == 0 {
		return 0, true
	}
	return quantile(delta, total, p.buckets, p.quantile), true
}

// quantile is the upper bound of the bucket holding the q quantile of counts (buckets[i],
// buckets[i+1]) is the range of counts[i]).
func quantile(counts []uint64, total uint64, buckets []float64, q float64) time.Duration {
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i, c := range counts {
		seen += c
		if seen >= rank {
			hi := buckets[i+1]
			if math.IsInf(hi, 1) {
				hi = buckets[i]
			}
			return time.Duration(hi * float64(time.Second))
		}
	}
	return 0
}

// observe records the last interval's latency quantile and steps the controller with it.
func (p *Pressure) observe(q time.Duration) {
	p.lastQ.Store(int64(q))
	p.step(q)
}

// step is one step of the controller with a latency quantile.
func (p *Pressure) step(q time.Duration) {
	d := p.drop.Load()
	switch {
	case q > p.target:
		step := uint32(float64(dropUp) * math.Min(float64(q)/float64(p.target), maxUpFactor))
		d = min(d+step, maxDrop)
	case q > p.target/2:
	case q > p.target/4:
		d -= min(d, dropDown)
	default:
		d -= min(d, dropDownFast)
	}
	p.drop.Store(d)
}

// Overloaded reports whether the process is past capacity now.
func (p *Pressure) Overloaded() bool { return p.drop.Load() > 0 }

// Share is the overload level now (0..1).
func (p *Pressure) Share() float64 { return float64(p.drop.Load()) / dropScale }

// Latency is the last interval's scheduling latency quantile.
func (p *Pressure) Latency() time.Duration { return time.Duration(p.lastQ.Load()) }
