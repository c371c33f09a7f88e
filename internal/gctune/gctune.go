// Package gctune keeps Go's garbage collector from running too often on a small heap.
//
// Go collects when the heap has grown by GOGC percent (100) of what the last collection left
// live. Conduit's live heap is a few megabytes, so by default it collects every few megabytes
// allocated: many times a second under load, each collection with a fixed cost. The tuner
// gives the heap a floor of headroom instead: a collection when the heap has grown by the
// larger of the live heap and the floor. From a live heap of the floor up it is Go's default;
// below, the heap stays under live + floor.
package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// maxPercent bounds the GOGC the tuner sets (a nearly empty heap).
const maxPercent = 1000

// heapMinimum is Go's smallest heap goal at GOGC=100; like the rest of the goal it scales
// with GOGC.
const heapMinimum = 4 << 20

// Percent is the GOGC whose heap goal is about live+floor bytes, for a live heap of live bytes
// and roots bytes of stacks and globals (Go's goal: live + (live+roots)×GOGC/100, and at
// least heapMinimum×GOGC/100). It is 100, Go's default, when live is floor or more.
func Percent(live, roots, floor uint64) int {
	if live >= floor {
		return 100
	}
	p := min(floor*100/max(live+roots, 1), (live+floor)*100/heapMinimum, maxPercent)
	return max(int(p), 100)
}

// Start makes the collector keep floor bytes of headroom, adjusting GOGC after every
// collection. It does nothing when the GOGC environment variable is set (getenv), which then
// rules as usual; GOMEMLIMIT applies either way.
func Start(floor uint64, getenv func(string) string) {
	if getenv("GOGC") != "" || floor == 0 {
		return
	}
	t := &tuner{floor: floor, percent: 100, heap: []metrics.Sample{{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}}
	t.arm() // from the first collection on
}

type tuner struct {
	floor   uint64
	percent int              // the GOGC set last
	heap    []metrics.Sample // live heap, stacks, globals: read after each collection
}

// cycle is garbage as soon as it is made: its finalizer runs after the next collection.
type cycle struct{ t *tuner }

func (t *tuner) arm() {
	runtime.SetFinalizer(&cycle{t}, func(c *cycle) {
		c.t.adjust()
		c.t.arm()
	})
}

// adjust sets GOGC for the heap the last collection left, when it changed by more than
// an eighth (each change is cheap, but not free).
func (t *tuner) adjust() {
	metrics.Read(t.heap)
	var n [3]uint64
	for i, s := range t.heap {
		if s.Value.Kind() != metrics.KindUint64 {
			return
		}
		n[i] = s.Value.Uint64()
	}
	p := Percent(n[0], n[1]+n[2], t.floor)
	if d := p - t.percent; d > t.percent/8 || -d > t.percent/8 {
		debug.SetGCPercent(p)
		t.percent = p
	}
}
