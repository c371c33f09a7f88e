package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestHeadroomBytes(t *testing.T) {
	const mb = 1 << 20
	h := Headroom{Min: 8 * mb, Max: 32 * mb, Per: 250 * time.Millisecond}
	for _, tt := range []struct {
		rate float64 // bytes per second
		want uint64
	}{
		{0, 8 * mb},          // idle
		{16 * mb, 8 * mb},    // 4 MB a quarter second: the minimum
		{64 * mb, 16 * mb},   // 16 MB a quarter second
		{1024 * mb, 32 * mb}, // capped
	} {
		if got := h.bytes(tt.rate); got != tt.want {
			t.Errorf("bytes(%g) = %d, want %d", tt.rate, got, tt.want)
		}
	}
}

func TestPercent(t *testing.T) {
	const mb = 1 << 20
	for _, tt := range []struct {
		live, roots, floor uint64
		want               int
	}{
		{0, 0, 8 * mb, 200},              // the heap minimum rules: goal 8 MB
		{0, 0, 64 * mb, maxPercent},      // capped
		{mb, mb / 2, 8 * mb, 225},        // minimum: goal 9 MB (live + floor)
		{3 * mb, mb / 2, 8 * mb, 228},    // live and roots: 3 + 3.5 × 2.28 ≈ 11 MB
		{6 * mb, 2 * mb, 8 * mb, 100},    // never below Go's default
		{8 * mb, 0, 8 * mb, 100},         // live is the floor: Go's default
		{100 * mb, 10 * mb, 8 * mb, 100}, // a large heap: Go's default
		{mb, 0, 2 * mb, 100},             // a small floor: the minimum already gives more
	} {
		if got := Percent(tt.live, tt.roots, tt.floor); got != tt.want {
			t.Errorf("Percent(%d, %d, %d) = %d, want %d", tt.live, tt.roots, tt.floor, got, tt.want)
		}
	}
}

func gogc() uint64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// After a collection of a small heap, the tuner has raised GOGC; with GOGC in the environment
// it leaves it alone.
func TestStart(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	huge := Headroom{Min: 1 << 40, Max: 1 << 40, Per: time.Second} // no test heap reaches it
	Start(huge, func(k string) string { return map[string]string{"GOGC": "50"}[k] })
	runtime.GC()
	if got := gogc(); got != 100 {
		t.Fatalf("with GOGC set: GOGC %d, want 100 (untouched)", got)
	}
	Start(huge, func(string) string { return "" })
	for deadline := time.Now().Add(10 * time.Second); gogc() != maxPercent; {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC %d after collections, want %d", gogc(), maxPercent)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}
