// Command bench measures Conduit against the floor (a bare httputil.ReverseProxy) and the
// upstream itself, all on loopback, in one run: fixed rates, closed-loop peak, open-loop
// overload and streams. It prints a table and writes JSON for comparison across commits.
// With -repeat N it makes N such runs, each on freshly started processes, and ends with the
// median of each Conduit ÷ floor ratio and every run's figure.
//
//	go run ./bench -out bench/results/latest.json
//	go run ./bench -only streams -duration 16s -repeat 8 -out /tmp/streams.json
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

const (
	upstreamAddr  = "127.0.0.1:18910"
	floorAddr     = "127.0.0.1:18911"
	conduitAddr   = "127.0.0.1:18912"
	pprofAddr     = "127.0.0.1:18913"
	conduitPGAddr = "127.0.0.1:18914"
	masterKey     = "bench-master-key-0123456789"
)

// options are the command line flags.
type options struct {
	bin, out, rates, only, profile string
	dur, latency, soak             time.Duration
	repeat                         int             // runs, each on fresh processes
	want                           map[string]bool // scenarios to run
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.bin, "bin", "bin", "folder with conduit, fakeopenai and floorproxy")
	flag.StringVar(&o.out, "out", "bench/results/latest.json", "JSON results file")
	flag.DurationVar(&o.dur, "duration", 8*time.Second, "length of each fixed-rate run")
	flag.DurationVar(&o.latency, "upstream-latency", 0, "mock upstream latency")
	quick := flag.Bool("quick", false, "shorter runs (smoke test)")
	flag.StringVar(&o.rates, "rates", "500,1000,2000", "fixed rates (requests/s)")
	flag.StringVar(&o.only, "only", "fixed,peak,streams,overload,responses,cache,cluster",
		"scenarios to run: fixed, peak, streams, overload, responses, cache (response cache hits), cluster (PostgreSQL + Redis)")
	flag.StringVar(&o.profile, "profile", "", "folder for Conduit CPU and heap profiles taken during its peak run")
	flag.DurationVar(&o.soak, "soak", 0, "also hold Conduit at 1,000 req/s this long and report the RSS slope")
	flag.IntVar(&o.repeat, "repeat", 1, "runs of the chosen scenarios, each on freshly started processes; "+
		"with more than one, the output ends with the medians of the Conduit ÷ floor ratios, and -out holds them and every run's report")
	flag.Parse()
	if o.repeat < 1 {
		log.Fatalf("-repeat %d: at least 1", o.repeat)
	}
	if *quick {
		o.dur = 2 * time.Second
	}
	o.want = map[string]bool{}
	for _, s := range strings.Split(o.only, ",") {
		o.want[strings.TrimSpace(s)] = true
	}
	return o
}

func main() {
	o := parseFlags()
	raiseFileLimit()
	rates, err := parseRates(o.rates)
	if err != nil {
		log.Fatal(err)
	}
	var reps []*report
	for i := range o.repeat {
		if o.repeat > 1 {
			fmt.Printf("\n## run %d of %d\n", i+1, o.repeat)
		}
		rep := runOnce(o, rates)
		rep.print(os.Stdout)
		reps = append(reps, rep)
		if o.repeat > 1 { // after every run: a run that fails leaves the ones before it
			writeJSON(o.out, repeated{Medians: medians(reps), Reports: reps})
		}
	}
	if o.repeat == 1 {
		writeJSON(o.out, reps[0])
		return
	}
	printMedians(os.Stdout, reps)
}

// runOnce starts the upstream, the floor and Conduit, runs the chosen scenarios and stops
// them again.
func runOnce(o options, rates []int) *report {
	b := &bench{dur: o.dur, profileDir: o.profile}
	defer b.stopAll()
	data, err := os.MkdirTemp("", "conduit-bench-")
	if err != nil {
		log.Fatal(err)
	}
	b.dirs = append(b.dirs, data)
	key := b.startAll(o, data)
	targets := []target{
		{name: "direct", url: "http://" + upstreamAddr + "/v1/chat/completions", proc: b.upstream},
		{name: "floor", url: "http://" + floorAddr + "/v1/chat/completions", proc: b.floor},
		{name: "conduit", url: "http://" + conduitAddr + "/v1/chat/completions", proc: b.conduit, key: key},
	}
	rep := &report{Started: time.Now().UTC(), UpstreamLatency: o.latency.String(), Duration: o.dur.String()}
	b.run(o, rates, targets, rep)
	rep.Finished = time.Now().UTC()
	return rep
}

// startAll starts the upstream, the floor and Conduit, waits until they answer and returns
// the virtual key Conduit was set up with.
func (b *bench) startAll(o options, data string) string {
	conduitEnv := []string{"CONDUIT_MASTER_KEY=" + masterKey, "CONDUIT_SECRETS=file", "CONDUIT_LOG_LEVEL=warn"}
	if o.profile != "" {
		conduitEnv = append(conduitEnv, "CONDUIT_PPROF_ADDR="+pprofAddr)
	}
	b.upstream = b.start("upstream", filepath.Join(o.bin, "fakeopenai"), nil,
		"--addr", upstreamAddr, "--latency", o.latency.String())
	b.floor = b.start("floor", filepath.Join(o.bin, "floorproxy"), nil,
		"--addr", floorAddr, "--upstream", "http://"+upstreamAddr)
	b.conduit = b.start("conduit", filepath.Join(o.bin, "conduit"),
		conduitEnv, "--headless", "--addr", conduitAddr, "--data-dir", data)
	for _, a := range []string{upstreamAddr + "/v1/models", floorAddr + "/v1/models", conduitAddr + "/health"} {
		b.waitUp("http://" + a)
	}
	return b.setupConduit(conduitAddr)
}

// run runs the chosen scenarios against the targets (the last is Conduit) into rep.
func (b *bench) run(o options, rates []int, targets []target, rep *report) {
	// Warm up connection pools and code paths.
	for _, t := range targets {
		b.attack(t, "warmup", 500, 2*time.Second, 0, false)
	}
	if o.want["fixed"] {
		for _, rate := range rates {
			rep.Runs = append(rep.Runs, b.interleaved(targets, "fixed", rate, o.dur, 0, false)...)
		}
	}
	peaks := map[string]float64{}
	if o.want["peak"] || o.want["overload"] {
		for _, r := range b.interleaved(targets, "peak-10conn", 0, o.dur, 10, false) {
			peaks[r.Target] = r.Throughput
			rep.Runs = append(rep.Runs, r)
		}
	}
	if o.want["streams"] {
		for _, t := range targets {
			rep.Streams = append(rep.Streams, b.streams(t))
		}
		rep.Runs = append(rep.Runs, b.interleaved(targets, "stream-peak-10conn", 0, o.dur, 10, true)...)
		// The same streams for a client that asks for the usage chunk: Conduit asks the
		// upstream for it either way (to bill the answer), the floor only then, so here the
		// upstream does the same work behind both.
		rep.Runs = append(rep.Runs, b.interleaved(withBody(targets, usageChatBody), "stream-usage-peak-10conn", 0, o.dur, 10, true)...)
	}
	if o.want["responses"] {
		b.runResponses(o, targets, rep)
	}
	if o.want["cache"] {
		b.runCache(o, targets, rep)
	}
	if o.want["cluster"] {
		b.runCluster(o, targets, rep)
	}
	if o.soak > 0 {
		rep.Soak = b.soak(targets[2], o.soak)
	}
	// Open-loop overload relative to Conduit's own peak, last: it leaves sockets in TIME_WAIT
	// and memory that the other scenarios should not inherit.
	if o.want["overload"] {
		for _, mult := range []float64{1.5, 3} {
			rate := int(peaks["conduit"] * mult)
			for _, t := range targets[1:] {
				b.coolDown()
				rep.Runs = append(rep.Runs, b.attack(t, fmt.Sprintf("overload-%.1fx", mult), rate, o.dur, 0, false))
			}
		}
	}
}

// chatBody is a ~1 KB chat request for the alias "bench".
func chatBody(stream bool) []byte { return chatBodyOf("bench", stream) }

// usageChatBody is chatBody asking, when streamed, for the usage chunk at the end
// (stream_options.include_usage), as clients that track what they spend do.
func usageChatBody(stream bool) []byte {
	body := chatRequest("bench")
	if stream {
		body["stream_options"] = map[string]any{"include_usage": true}
	}
	return encodeBody(body, stream)
}

// withBody is ts sending body.
func withBody(ts []target, body func(stream bool) []byte) []target {
	out := slices.Clone(ts)
	for i := range out {
		out[i].body = body
	}
	return out
}

// chatBodyOf is a ~1 KB chat request for model.
func chatBodyOf(model string, stream bool) []byte { return encodeBody(chatRequest(model), stream) }

// chatRequest is the ~1 KB chat request of every benchmark, for model, not yet encoded.
func chatRequest(model string) map[string]any {
	return map[string]any{
		"model": model,
		"messages": []map[string]any{
			{"role": "system", "content": systemPrompt()},
			{"role": "user", "content": userPrompt()},
		},
		"temperature": 0.2,
		"max_tokens":  64,
	}
}

// systemPrompt and userPrompt are the texts of every benchmark request (~1 KB together).
func systemPrompt() string {
	return strings.Repeat("You are a concise assistant that answers in plain English. ", 9)
}

func userPrompt() string { return strings.Repeat("Summarise the benefits of a gateway. ", 10) }

// encodeBody encodes a request body, asking for a stream when stream is set.
func encodeBody(body map[string]any, stream bool) []byte {
	if stream {
		body["stream"] = true
	}
	b, _ := json.Marshal(body)
	return b
}

type target struct {
	name string
	url  string
	key  string
	proc *proc
	body func(stream bool) []byte // nil: chatBody
}

func (t target) header() http.Header {
	h := http.Header{"Content-Type": {"application/json"}}
	if t.key != "" {
		h.Set("Authorization", "Bearer "+t.key)
	}
	return h
}

// maxInFlight bounds the load generator's connections (and so its sockets) per target.
const maxInFlight = 2000

type bench struct {
	dur                      time.Duration
	profileDir               string
	upstream, floor, conduit *proc
	procs                    []*proc
	dirs                     []string // removed once the processes have stopped
}

// measured accumulates one target's attacks of a scenario.
type measured struct {
	m, ok, shed vegeta.Metrics // all results; the answered (2xx) ones; the 503s
	cpu, genCPU time.Duration  // the target's CPU time; the load generator's (this process)
	upCPU       time.Duration  // the upstream's CPU time
	peakKB      int64
	active      time.Duration // time spent attacking, the wait for the last answers included
	window      time.Duration // the attacks' own durations
	okInWindow  uint64        // 2xx answers completed within them
}

// attack runs one vegeta attack: at a fixed rate, or closed-loop with `workers` connections
// when rate is 0.
func (b *bench) attack(t target, scenario string, rate int, d time.Duration, workers uint64, stream bool) run {
	var acc measured
	b.hit(t, scenario, rate, d, workers, stream, &acc)
	return b.result(t, scenario, rate, &acc)
}

// interleaved runs a scenario against every target in turns of d/turns each (A B C, C B A,
// …), so that a shift in the machine's background load during the scenario falls on every
// target alike instead of on whichever ran last: the ratios between targets are what counts.
func (b *bench) interleaved(ts []target, scenario string, rate int, d time.Duration, workers uint64, stream bool) []run {
	const turns = 4
	accs := make([]measured, len(ts))
	for turn := range turns {
		for j := range ts {
			i := j
			if turn%2 == 1 {
				i = len(ts) - 1 - j
			}
			b.hit(ts[i], scenario, rate, d/turns, workers, stream, &accs[i])
		}
	}
	out := make([]run, len(ts))
	for i, t := range ts {
		out[i] = b.result(t, scenario, rate, &accs[i])
	}
	return out
}

func (b *bench) hit(t target, scenario string, rate int, d time.Duration, workers uint64, stream bool, acc *measured) {
	body := chatBody
	if t.body != nil {
		body = t.body
	}
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "POST", URL: t.url, Body: body(stream), Header: t.header()})
	// Open loop is bounded at maxInFlight connections and workers so that the load generator
	// cannot run out of sockets; past that it falls behind its schedule, as a real client would.
	ht := &http.Transport{DialContext: (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext}
	defer ht.CloseIdleConnections()
	opts := []func(*vegeta.Attacker){vegeta.Client(&http.Client{Transport: ht}),
		vegeta.Timeout(10 * time.Second), vegeta.KeepAlive(true), vegeta.HTTP2(false),
		vegeta.MaxConnections(maxInFlight), vegeta.MaxWorkers(maxInFlight), vegeta.Connections(maxInFlight)}
	pace := vegeta.Rate{Freq: rate, Per: time.Second}
	if rate == 0 {
		opts = append(opts, vegeta.Workers(workers), vegeta.MaxWorkers(workers), vegeta.Connections(int(workers)))
	}
	atk := vegeta.NewAttacker(opts...)
	cpu0, gen0, up0 := t.proc.cpu(), cpuOf(os.Getpid()), b.upstream.cpu()
	stopRSS := t.proc.sampleRSS()
	if t.name == "conduit" && strings.HasSuffix(scenario, "peak-10conn") && b.profileDir != "" && acc.active == 0 {
		stopProfile := b.startProfile(scenario, d)
		defer stopProfile()
	}
	start := time.Now()
	end := start.Add(d)
	for res := range atk.Attack(tr, pace, d, scenario) {
		acc.m.Add(res)
		switch res.Code {
		case http.StatusOK:
			acc.ok.Add(res)
			if !res.Timestamp.Add(res.Latency).After(end) {
				acc.okInWindow++
			}
		case http.StatusServiceUnavailable:
			acc.shed.Add(res)
		}
	}
	acc.active += time.Since(start)
	acc.window += d
	acc.genCPU += cpuOf(os.Getpid()) - gen0
	// Work a request leaves behind (Conduit writes usage rows up to 200 ms later) belongs to
	// this turn: wait for it before reading the CPU clock.
	time.Sleep(300 * time.Millisecond)
	acc.cpu += t.proc.cpu() - cpu0
	acc.upCPU += b.upstream.cpu() - up0
	acc.peakKB = max(acc.peakKB, stopRSS())
}

func (b *bench) result(t target, scenario string, rate int, acc *measured) run {
	m, ok, shed := &acc.m, &acc.ok, &acc.shed
	m.Close()
	ok.Close()
	shed.Close()
	secs := acc.active.Seconds()
	r := run{Target: t.name, Scenario: scenario, Rate: rate, Requests: m.Requests,
		Throughput: m.Success * float64(m.Requests) / secs,
		Success:    m.Success, P50: ms(m.Latencies.P50), P90: ms(m.Latencies.P90), P99: ms(m.Latencies.P99),
		Mean: ms(m.Latencies.Mean), PeakRSSMB: float64(acc.peakKB) / 1024, Codes: m.StatusCodes,
		Goodput: float64(acc.okInWindow) / acc.window.Seconds(), GoodputWithDrain: float64(ok.Requests) / secs, OKP50: ms(ok.Latencies.P50), OKP99: ms(ok.Latencies.P99),
		Shed: shed.Requests, ShedP50: ms(shed.Latencies.P50), ShedP99: ms(shed.Latencies.P99),
		OK: ok.Requests, Offered: float64(m.Requests) / secs}
	if m.Requests > 0 && t.proc != b.upstream {
		r.CPUSecPer1k = acc.cpu.Seconds() / float64(m.Requests) * 1000
	}
	if m.Requests > 0 {
		r.UpstreamCPUSecPer1k = acc.upCPU.Seconds() / float64(m.Requests) * 1000
	}
	if secs > 0 {
		r.LoadgenCPUs = acc.genCPU.Seconds() / secs
	}
	if scenario != "warmup" {
		log.Printf("%-8s %-20s rate=%-5d %s", t.name, scenario, rate, r.short())
	}
	return r
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// setupConduit configures the Conduit at addr: the mock as an OpenAI-compatible provider
// without the Responses API (model "bench": Responses requests are translated to chat) and as
// an OpenAI provider (model "bench-native": Responses requests pass through), and a key.
func (b *bench) setupConduit(addr string) string {
	call := func(method, path string, body any) map[string]any {
		j, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, "http://"+addr+path, bytes.NewReader(j))
		req.Header.Set("Authorization", "Bearer "+masterKey)
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			b.fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			b.fatalf("%s %s: %d %s", method, path, resp.StatusCode, out)
		}
		var m map[string]any
		_ = json.Unmarshal(out, &m)
		return m
	}
	p := call("POST", "/admin/providers", map[string]any{"name": "mock", "type": "openai_compatible",
		"base_url": "http://" + upstreamAddr + "/v1", "api_key": "sk-bench"})
	call("POST", "/admin/models", map[string]any{"alias": "bench", "provider_id": p["id"], "provider_model": "gpt-4o-mini"})
	n := call("POST", "/admin/providers", map[string]any{"name": "mock-openai", "type": "openai",
		"base_url": "http://" + upstreamAddr + "/v1", "api_key": "sk-bench"})
	call("POST", "/admin/models", map[string]any{"alias": "bench-native", "provider_id": n["id"], "provider_model": "gpt-4o-mini"})
	// The cache rows: every answer of this alias is kept (temperature 0.2 included).
	call("POST", "/admin/models", map[string]any{"alias": "bench-cached", "provider_id": p["id"], "provider_model": "gpt-4o-mini",
		"cache_ttl_s": 86400, "cache_nondeterministic": true})
	// Every feature on: a key with rate limits and a budget that the run will not reach (within
	// PostgreSQL's int4 columns).
	k := call("POST", "/admin/keys", map[string]any{"name": "bench", "rpm": 100_000_000, "rpd": 1_000_000_000,
		"tpm": 2_000_000_000, "max_budget": 1_000_000, "budget_duration": "daily"})
	return k["key"].(string)
}

func (b *bench) waitUp(url string) {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.fatalf("%s did not come up", url)
}

func parseRates(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(f), &n); err != nil || n <= 0 {
			return nil, fmt.Errorf("bad rate %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func (b *bench) start(name, path string, env []string, args ...string) *proc {
	cmd := exec.CommandContext(context.Background(), path, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	// Ended with the bench even when it is killed: no process is left holding the ports.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		b.fatalf("start %s: %v (run `make build` and build cmd/fakeopenai, cmd/floorproxy into %s)", name, err, filepath.Dir(path))
	}
	p := &proc{name: name, cmd: cmd}
	b.procs = append(b.procs, p)
	return p
}

// fatalf stops what the bench started (log.Fatal skips deferred calls), then logs and exits:
// a run that fails while setting up leaves no process on the bench's ports.
func (b *bench) fatalf(format string, args ...any) {
	b.stopAll()
	log.Fatalf(format, args...)
}

// stopAll ends every process with SIGTERM (SIGINT would be ignored by those started from a
// shell's background job) and kills any still running 10 s later.
func (b *bench) stopAll() {
	for _, p := range b.procs {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range b.procs {
		done := make(chan struct{})
		go func() {
			_ = p.cmd.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			log.Printf("%s did not stop on SIGTERM; killed", p.name)
			_ = p.cmd.Process.Kill()
			<-done
		}
	}
	for _, d := range b.dirs {
		_ = os.RemoveAll(d)
	}
}
