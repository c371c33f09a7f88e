package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

type run struct {
	Target      string  `json:"target"`
	Scenario    string  `json:"scenario"`
	Rate        int     `json:"rate"`
	Requests    uint64  `json:"requests"`
	Throughput  float64 `json:"throughput"`
	Success     float64 `json:"success"`
	P50         float64 `json:"p50_ms"`
	P90         float64 `json:"p90_ms"`
	P99         float64 `json:"p99_ms"`
	Mean        float64 `json:"mean_ms"`
	CPUSecPer1k float64 `json:"cpu_s_per_1k"`
	// UpstreamCPUSecPer1k is the mock upstream's CPU per 1,000 requests meanwhile: it shares
	// the machine, so work a proxy asks of it (a stream's usage chunk) shows in every figure.
	UpstreamCPUSecPer1k float64        `json:"upstream_cpu_s_per_1k"`
	PeakRSSMB           float64        `json:"peak_rss_mb"`
	Codes               map[string]int `json:"codes"`
	// The 2xx answers alone: their rate and latency (what admitted requests get in overload).
	OK      uint64  `json:"ok"`
	Offered float64 `json:"offered"` // requests sent per second
	// Goodput is the 2xx answers completed within the attack's own duration, per second of it;
	// GoodputWithDrain counts every 2xx answer per second of the attack and of the wait for its
	// last answers, which under overload adds a queue's drain time as if it were idle.
	Goodput          float64 `json:"goodput"`
	GoodputWithDrain float64 `json:"goodput_with_drain"`
	// LoadgenCPUs is the CPUs the load generator (vegeta in this process) kept busy meanwhile.
	LoadgenCPUs float64 `json:"loadgen_cpus"`
	OKP50       float64 `json:"ok_p50_ms"`
	OKP99       float64 `json:"ok_p99_ms"`
	// The 503s (load shed) and their latency.
	Shed    uint64  `json:"shed"`
	ShedP50 float64 `json:"shed_p50_ms"`
	ShedP99 float64 `json:"shed_p99_ms"`
}

func (r run) short() string {
	return fmt.Sprintf("thr=%.0f/s ok=%.1f%% p50=%.3fms p99=%.3fms good=%.0f/s ok-p50=%.3fms ok-p99=%.3fms cpu/1k=%.3fs loadgen=%.2fcpu rss=%.0fMB codes=%v",
		r.Throughput, r.Success*100, r.P50, r.P99, r.Goodput, r.OKP50, r.OKP99, r.CPUSecPer1k, r.LoadgenCPUs, r.PeakRSSMB, r.Codes)
}

type report struct {
	Started         time.Time   `json:"started"`
	Finished        time.Time   `json:"finished"`
	UpstreamLatency string      `json:"upstream_latency"`
	Duration        string      `json:"duration"`
	Runs            []run       `json:"runs"`
	Streams         []streamRun `json:"streams"`
	Soak            *soakRun    `json:"soak,omitempty"`
	// The PostgreSQL + Redis row: Redis's own CPU per 1,000 requests, or why it was skipped.
	RedisCPUSecPer1k float64 `json:"redis_cpu_s_per_1k,omitempty"`
	ClusterSkipped   string  `json:"cluster_skipped,omitempty"`
}

func (rep *report) find(target, scenario string, rate int) (run, bool) {
	for _, r := range rep.Runs {
		if r.Target == target && r.Scenario == scenario && r.Rate == rate {
			return r, true
		}
	}
	return run{}, false
}

// writeJSON saves v as indented JSON in file, creating its folder.
func writeJSON(file string, v any) {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		log.Print(err)
		return
	}
	j, _ := json.MarshalIndent(v, "", "  ")
	if err := os.WriteFile(file, j, 0o644); err != nil {
		log.Print(err)
	} else {
		fmt.Printf("\nwrote %s\n", file)
	}
}

// repeated is the JSON of several runs (-repeat): the medians of their ratios, and each
// run's report in the order of the runs.
type repeated struct {
	Medians []ratioMedian `json:"medians"`
	Reports []*report     `json:"reports"`
}

// ratioMedian is one Conduit ÷ floor ratio over several runs.
type ratioMedian struct {
	Label  string    `json:"label"`
	Median float64   `json:"median"`
	Runs   []float64 `json:"runs"` // each run's figure, in the order of the runs
}

func (rep *report) print(w io.Writer) {
	fmt.Fprintf(w, "\nConduit vs the floor (bare httputil.ReverseProxy), loopback, non-streamed ~1 KB chat\n\n")
	fmt.Fprintf(w, "| scenario | target | req/s | success | p50 ms | p90 ms | p99 ms | +p50 vs direct | +p99 vs direct | CPU s/1k req | peak RSS MB |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rep.Runs {
		if r.Scenario == "warmup" || strings.HasPrefix(r.Scenario, "overload") {
			continue
		}
		addP50, addP99 := "", ""
		if d, ok := rep.find("direct", r.Scenario, r.Rate); ok && r.Target != "direct" && (strings.HasPrefix(r.Scenario, "fixed") || r.Scenario == "cluster") {
			addP50 = fmt.Sprintf("%+.3f", r.P50-d.P50)
			addP99 = fmt.Sprintf("%+.3f", r.P99-d.P99)
		}
		name := r.Scenario
		if r.Rate > 0 {
			name = fmt.Sprintf("%s %d/s", r.Scenario, r.Rate)
		}
		cpu := ""
		if r.CPUSecPer1k > 0 {
			cpu = fmt.Sprintf("%.3f", r.CPUSecPer1k)
		}
		fmt.Fprintf(w, "| %s | %s | %.0f | %.1f%% | %.3f | %.3f | %.3f | %s | %s | %s | %.0f |\n",
			name, r.Target, r.Throughput, r.Success*100, r.P50, r.P90, r.P99, addP50, addP99, cpu, r.PeakRSSMB)
	}
	fmt.Fprintf(w, "\nanswered req/s: 2xx answers completed within the attack's own duration, per second of it\n")
	fmt.Fprintf(w, "\n| open-loop overload | target | offered req/s | answered req/s | answered p50 ms | answered p99 ms | 503s | 503 p50 ms | 503 p99 ms | other errors | peak RSS MB |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rep.Runs {
		if !strings.HasPrefix(r.Scenario, "overload") {
			continue
		}
		other := r.Requests - r.OK - r.Shed
		fmt.Fprintf(w, "| %s (%d/s) | %s | %.0f | %.0f | %.3f | %.3f | %d | %.3f | %.3f | %d | %.0f |\n",
			r.Scenario, r.Rate, r.Target, r.Offered, r.Goodput, r.OKP50, r.OKP99, r.Shed, r.ShedP50, r.ShedP99,
			other, r.PeakRSSMB)
	}
	fmt.Fprintf(w, "\n| streams (%d at %d/s) | TTFB p50 ms | TTFB p99 ms | total p50 ms | total p99 ms | errors |\n|---|---|---|---|---|---|\n",
		streamCount, streamRate)
	for _, s := range rep.Streams {
		fmt.Fprintf(w, "| %s | %.3f | %.3f | %.3f | %.3f | %d |\n", s.Target, s.TTFBP50, s.TTFBP99, s.TotalP50, s.TotalP99, s.Errors)
	}
	fmt.Fprintf(w, "\nConduit ÷ floor:\n")
	for _, r := range rep.ratios() {
		fmt.Fprintf(w, "- %s: %.2f× (conduit %.3f, floor %.3f)\n", r.label, r.value, r.conduit, r.floor)
	}
	rep.printOverload(w)
	if c, ok := rep.find("conduit", "fixed", 1000); ok {
		if f, ok := rep.find("floor", "fixed", 1000); ok {
			fmt.Fprintf(w, "- at 1,000 req/s: p50 %+.3f ms and p99 %+.3f ms vs the floor\n", c.P50-f.P50, c.P99-f.P99)
		}
	}
	var cs, fs streamRun
	for _, s := range rep.Streams {
		switch s.Target {
		case "conduit":
			cs = s
		case "floor":
			fs = s
		}
	}
	if cs.N > 0 && fs.N > 0 {
		fmt.Fprintf(w, "- stream time to first byte: p50 %+.3f ms vs the floor\n", cs.TTFBP50-fs.TTFBP50)
	}
	rep.printPaths(w)
	if rep.Soak != nil {
		rep.Soak.print(w)
	}
}

// ratio is one Conduit ÷ floor figure of a run.
type ratio struct {
	label                 string
	value, conduit, floor float64
}

// ratios are the run's Conduit ÷ floor figures, for the scenarios it ran.
func (rep *report) ratios() []ratio {
	var out []ratio
	add := func(label, scenario string, rate int, f func(run) float64) {
		c, ok1 := rep.find("conduit", scenario, rate)
		fl, ok2 := rep.find("floor", scenario, rate)
		if ok1 && ok2 && f(fl) > 0 {
			out = append(out, ratio{label: label, value: f(c) / f(fl), conduit: f(c), floor: f(fl)})
		}
	}
	cpu := func(r run) float64 { return r.CPUSecPer1k }
	thr := func(r run) float64 { return r.Throughput }
	upstreamCPU := func(r run) float64 { return r.UpstreamCPUSecPer1k }
	add("CPU per request at saturation (10 connections)", "peak-10conn", 0, cpu)
	add("CPU per request at 1,000 req/s", "fixed", 1000, cpu)
	add("closed-loop peak throughput (10 connections)", "peak-10conn", 0, thr)
	add("stream peak throughput (10 connections)", "stream-peak-10conn", 0, thr)
	add("stream peak throughput, the client asking for usage (10 connections)", "stream-usage-peak-10conn", 0, thr)
	add("CPU per streamed request", "stream-peak-10conn", 0, cpu)
	add("CPU per streamed request, the client asking for usage", "stream-usage-peak-10conn", 0, cpu)
	add("upstream CPU per streamed request", "stream-peak-10conn", 0, upstreamCPU)
	add("upstream CPU per streamed request, the client asking for usage", "stream-usage-peak-10conn", 0, upstreamCPU)
	return out
}

// medians are each Conduit ÷ floor ratio's median over the runs, with every run's figure,
// in the order the runs first report them.
func medians(reps []*report) []ratioMedian {
	var out []ratioMedian
	at := map[string]int{}
	for _, rep := range reps {
		for _, r := range rep.ratios() {
			i, seen := at[r.label]
			if !seen {
				i = len(out)
				at[r.label] = i
				out = append(out, ratioMedian{Label: r.label})
			}
			out[i].Runs = append(out[i].Runs, r.value)
		}
	}
	for i := range out {
		out[i].Median = median(out[i].Runs)
	}
	return out
}

// printMedians prints, for each Conduit ÷ floor ratio, its median over the runs and every
// run's figure in the order of the runs.
func printMedians(w io.Writer, reps []*report) {
	fmt.Fprintf(w, "\nConduit ÷ floor over %d runs: median (each run)\n", len(reps))
	for _, m := range medians(reps) {
		each := make([]string, len(m.Runs))
		for i, x := range m.Runs {
			each[i] = fmt.Sprintf("%.3f", x)
		}
		fmt.Fprintf(w, "- %s: %.3f× (%s)\n", m.Label, m.Median, strings.Join(each, ", "))
	}
}

// median is the middle of v (the mean of the two middle values when their number is even).
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// printOverload prints the overload targets: at 1.5× Conduit's peak, answers at 0.9× that peak
// or more with a p99 of 100 ms or less; at 3×, at least as many answers per second as the floor.
func (rep *report) printOverload(w io.Writer) {
	peak, ok := rep.find("conduit", "peak-10conn", 0)
	if !ok || peak.Throughput == 0 {
		return
	}
	for _, r := range rep.Runs {
		if r.Target != "conduit" || !strings.HasPrefix(r.Scenario, "overload") {
			continue
		}
		fmt.Fprintf(w, "- %s: answered %.2f× Conduit's peak (answered p99 %.0f ms, 503 p99 %.0f ms; load generator %.2f CPUs)",
			r.Scenario, r.Goodput/peak.Throughput, r.OKP99, r.ShedP99, r.LoadgenCPUs)
		if f, ok := rep.find("floor", r.Scenario, r.Rate); ok && f.Goodput > 0 {
			fmt.Fprintf(w, ", %.2f× the floor's answers", r.Goodput/f.Goodput)
		}
		fmt.Fprintln(w)
	}
}

// printPaths prints the Responses and PostgreSQL + Redis summaries.
func (rep *report) printPaths(w io.Writer) {
	for _, sc := range []string{"responses", "responses-stream"} {
		chat, ok := rep.find(nameChat, sc, pathRate)
		if !ok || chat.CPUSecPer1k == 0 {
			continue
		}
		fmt.Fprintf(w, "- %s at 1,000 req/s, CPU per request vs chat on the same Conduit (%.3f s/1k):", sc, chat.CPUSecPer1k)
		for _, name := range []string{nameNative, nameTranslated} {
			if r, ok := rep.find(name, sc, pathRate); ok {
				fmt.Fprintf(w, " %s %.3f s/1k = %.2f× (p50 %+.3f ms);", strings.TrimPrefix(name, "conduit resp "),
					r.CPUSecPer1k, r.CPUSecPer1k/chat.CPUSecPer1k, r.P50-chat.P50)
			}
		}
		fc, ok1 := rep.find(nameFloorChat, sc, pathRate)
		fr, ok2 := rep.find(nameFloorResp, sc, pathRate)
		if ok1 && ok2 && fc.CPUSecPer1k > 0 {
			fmt.Fprintf(w, " the floor passing the same requests through: responses %.3f vs chat %.3f s/1k = %.2f×;",
				fr.CPUSecPer1k, fc.CPUSecPer1k, fr.CPUSecPer1k/fc.CPUSecPer1k)
		}
		fmt.Fprintln(w)
	}
	if rep.ClusterSkipped != "" {
		fmt.Fprintf(w, "- PostgreSQL + Redis: skipped (%s)\n", rep.ClusterSkipped)
		return
	}
	pg, ok1 := rep.find(namePG, "cluster", pathRate)
	lite, ok2 := rep.find("conduit", "cluster", pathRate)
	direct, ok3 := rep.find("direct", "cluster", pathRate)
	if !ok1 || !ok2 || !ok3 || lite.CPUSecPer1k == 0 {
		return
	}
	fmt.Fprintf(w, "- PostgreSQL + Redis vs SQLite/in-memory at 1,000 req/s: CPU %.3f vs %.3f s/1k = %.2f× (Redis itself %.3f s/1k); "+
		"p50 added over direct %+.3f vs %+.3f ms (%+.3f ms)\n", pg.CPUSecPer1k, lite.CPUSecPer1k,
		pg.CPUSecPer1k/lite.CPUSecPer1k, rep.RedisCPUSecPer1k, pg.P50-direct.P50, lite.P50-direct.P50, pg.P50-lite.P50)
}

func (s *soakRun) print(w io.Writer) {
	fmt.Fprintf(w, "\nsoak at %d req/s for %s: %d requests, %.2f%% ok, p50 %.3f ms, p99 %.3f ms; RSS %.1f → %.1f MB, slope after the first %d s %+.2f MB/hour\n",
		s.Rate, s.Duration, s.Requests, s.Success*100, s.P50, s.P99, s.StartMB, s.EndMB, s.WarmupS, s.SlopeMBPerH)
}
