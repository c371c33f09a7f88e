package ids

import (
	"strings"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	a, b := New("prov"), New("prov")
	if a == b || !strings.HasPrefix(a, "prov_") || len(a) != len("prov_")+16 {
		t.Fatalf("New: %q %q", a, b)
	}
}

func TestNewTimedSortsByTime(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	prevMax, curMax := "", "" // largest id of the previous and of the current millisecond
	for i := range 2000 {
		// Many ids per millisecond and a few milliseconds apart: every id of a later
		// millisecond sorts after every id of an earlier one.
		id := NewTimed("req", t0.Add(time.Duration(i/100)*time.Millisecond))
		if !strings.HasPrefix(id, "req_") || len(id) != len("req_")+20 {
			t.Fatalf("id %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate %q", id)
		}
		seen[id] = true
		if i%100 == 0 {
			prevMax, curMax = curMax, ""
		}
		if id <= prevMax {
			t.Fatalf("%q (ms %d) sorts before %q of the millisecond before", id, i/100, prevMax)
		}
		curMax = max(curMax, id)
	}
	// A year apart, and across the 2038/2106 style boundaries of 32-bit seconds.
	if a, b := NewTimed("req", t0), NewTimed("req", t0.AddDate(100, 0, 0)); a >= b {
		t.Fatalf("%q >= %q", a, b)
	}
}

func TestMinted(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{New("resp"), true},
		{New("msg"), true},
		{NewTimed("resp", time.Now()), true},
		{"resp_2abcdefghijklmnopqrs", true},
		{"resp_2abcdefghijklmnopq", false},                               // 18 characters: neither form
		{"resp_2abcdefghijklmnopq8s", false},                             // 8 is not in the alphabet
		{"resp_x_2abcdefghijklmnopqrs", false},                           // the prefix holds no "_"
		{"resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b", false}, // OpenAI's
		{"resp_fake3", false},
		{"resp_abcdefghijklmnop", true},
		{"resp_abcdefghijklmno1", false}, // 1 is not in the alphabet
		{"resp-abcdefghijklmnop", false},
		{"_abcdefghijklmnop", false},
		{"Resp_abcdefghijklmnop", false},
		{"", false},
	} {
		if got := Minted(tc.id); got != tc.want {
			t.Errorf("Minted(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}
