package main

import (
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{0.9}, 0.9},
		{[]float64{1.0, 0.9}, 0.95},
		{[]float64{0.97, 0.91, 0.93}, 0.93},
		{[]float64{0.5, 1.0, 0.75, 0.25}, 0.625},
	} {
		in := append([]float64(nil), tc.in...)
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", in, got, tc.want)
		}
		for i := range in { // the caller's order is kept
			if tc.in[i] != in[i] {
				t.Fatalf("median reordered its input: %v", tc.in)
			}
		}
	}
}

// streamRuns is a report of the stream rows alone with the floor's and Conduit's figures.
func streamRuns(floorThr, conduitThr, floorCPU, conduitCPU float64) *report {
	return &report{Runs: []run{
		{Target: "direct", Scenario: "stream-peak-10conn", Throughput: 4000},
		{Target: "floor", Scenario: "stream-peak-10conn", Throughput: floorThr, CPUSecPer1k: floorCPU},
		{Target: "conduit", Scenario: "stream-peak-10conn", Throughput: conduitThr, CPUSecPer1k: conduitCPU},
	}}
}

func TestRatiosAndMedians(t *testing.T) {
	rep := streamRuns(2000, 1900, 0.300, 0.345)
	got := map[string]float64{}
	for _, r := range rep.ratios() {
		got[r.label] = r.value
	}
	if len(got) != 2 || got["stream peak throughput (10 connections)"] != 0.95 ||
		got["CPU per streamed request"] != 0.345/0.300 {
		t.Fatalf("ratios: %v", got)
	}

	reps := []*report{rep, streamRuns(2000, 1800, 0.3, 0.36), streamRuns(1000, 970, 0.3, 0.33)}
	ms := medians(reps)
	if len(ms) != 2 || ms[0].Label != "stream peak throughput (10 connections)" || ms[0].Median != 0.95 ||
		len(ms[0].Runs) != 3 || ms[0].Runs[1] != 0.9 {
		t.Fatalf("medians: %+v", ms)
	}
	var b strings.Builder
	printMedians(&b, reps)
	for _, want := range []string{
		"over 3 runs",
		"- stream peak throughput (10 connections): 0.950× (0.950, 0.900, 0.970)\n",
		"- CPU per streamed request: 1.150× (1.150, 1.200, 1.100)\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("medians lack %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "closed-loop") {
		t.Errorf("a ratio of a scenario no run made:\n%s", b.String())
	}
}
