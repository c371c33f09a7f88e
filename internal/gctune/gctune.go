// Package gctune keeps Go's garbage collector from running too often on a small heap.
//
// Go collects when the heap has grown by GOGC percent (100) of what the last collection left
// live. Conduit's live heap is a few megabytes, so by default it collects every few megabytes
// allocated: many times a second under load, each collection with a fixed cost. The tuner
// gives the heap headroom instead: a collection when the heap has grown by the larger of the
// live heap (Go's default) and a headroom that follows the allocation rate, so that under load
// collections come about once per Headroom.Per, within Headroom.Min and Headroom.Max.
package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// maxPercent bounds the GOGC the tuner sets (a nearly empty heap).
const maxPercent = 1000

// heapMinimum is Go's smallest heap goal at GOGC=100; like the rest of the goal it scales
// with GOGC.
const heapMinimum = 4 << 20

// Headroom is how far the heap grows between two collections: what the process allocates in
// Per, at least Min and at most Max bytes.
type Headroom struct {
	Min, Max uint64
	Per      time.Duration
}

// bytes is the headroom for an allocation rate of rate bytes per second.
func (h Headroom) bytes(rate float64) uint64 {
	b := rate * h.Per.Seconds()
	switch {
	case b <= float64(h.Min):
		return h.Min
	case b >= float64(h.Max):
		return h.Max
	}
	return uint64(b)
}

// Percent is the GOGC whose heap goal is about live+headroom bytes, for a live heap of live
// bytes and roots bytes of stacks and globals (Go's goal: live + (live+roots)×GOGC/100, and at
// least heapMinimum×GOGC/100). It is 100, Go's default, when live is headroom or more.
func Percent(live, roots, headroom uint64) int {
	if live >= headroom {
		return 100
	}
	p := min(headroom*100/max(live+roots, 1), (live+headroom)*100/heapMinimum, maxPercent)
	return max(int(p), 100)
}

// Start makes the collector keep the headroom h, adjusting GOGC after every collection. It
// does nothing when the GOGC environment variable is set (getenv), which then rules as usual;
// GOMEMLIMIT applies either way.
func Start(h Headroom, getenv func(string) string) {
	if getenv("GOGC") != "" || h.Min == 0 {
		return
	}
	t := &tuner{h: h, percent: 100, heap: []metrics.Sample{{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"},
		{Name: "/gc/heap/allocs:bytes"}}}
	t.arm() // from the first collection on
}

type tuner struct {
	h       Headroom
	percent int              // the GOGC set last
	heap    []metrics.Sample // live heap, stacks, globals, allocated: read after each collection
	// The allocation total at the previous collection, and when.
	allocs uint64
	at     time.Time
}

// cycle is garbage as soon as it is made: its finalizer runs after the next collection.
type cycle struct{ t *tuner }

func (t *tuner) arm() {
	runtime.SetFinalizer(&cycle{t}, func(c *cycle) {
		c.t.adjust(time.Now())
		c.t.arm()
	})
}

// adjust sets GOGC for the heap the last collection left and the allocation rate since the
// one before, when it changed by more than an eighth (each change is cheap, but not free).
func (t *tuner) adjust(now time.Time) {
	metrics.Read(t.heap)
	var n [4]uint64
	for i, s := range t.heap {
		if s.Value.Kind() != metrics.KindUint64 {
			return
		}
		n[i] = s.Value.Uint64()
	}
	rate := 0.0
	if dt := now.Sub(t.at).Seconds(); !t.at.IsZero() && dt > 0 && n[3] >= t.allocs {
		rate = float64(n[3]-t.allocs) / dt
	}
	t.allocs, t.at = n[3], now
	p := Percent(n[0], n[1]+n[2], t.h.bytes(rate))
	if d := p - t.percent; d > t.percent/8 || -d > t.percent/8 {
		debug.SetGCPercent(p)
		t.percent = p
	}
}
