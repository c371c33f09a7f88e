package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// raiseFileLimit lifts the soft open-files limit to the hard one: open-loop overload holds
// thousands of sockets.
func raiseFileLimit() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			log.Printf("open files limit stays at %d: %v", l.Cur, err)
		}
	}
}

// coolDown waits until the proxies are idle again (at most 10 s) so that one scenario's
// backlog does not spill into the next.
func (b *bench) coolDown() {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c0, f0 := b.conduit.cpu(), b.floor.cpu()
		time.Sleep(500 * time.Millisecond)
		if b.conduit.cpu()-c0 < 25*time.Millisecond && b.floor.cpu()-f0 < 25*time.Millisecond {
			return
		}
	}
}

// startProfile takes a CPU profile of Conduit for most of d and an allocation profile at its
// end, named after the scenario.
func (b *bench) startProfile(scenario string, d time.Duration) (wait func()) {
	done := make(chan struct{})
	secs := max(1, int(d.Seconds())-2)
	go func() {
		defer close(done)
		time.Sleep(time.Second)
		fetch := func(path, file string) {
			resp, err := http.Get("http://" + pprofAddr + path)
			if err != nil {
				log.Printf("profile: %v", err)
				return
			}
			defer resp.Body.Close()
			if err := os.MkdirAll(b.profileDir, 0o755); err != nil {
				log.Print(err)
				return
			}
			f, err := os.Create(filepath.Join(b.profileDir, file))
			if err != nil {
				log.Print(err)
				return
			}
			defer f.Close()
			_, _ = io.Copy(f, resp.Body)
			log.Printf("profile: wrote %s", f.Name())
		}
		fetch(fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), scenario+".cpu.pprof")
		fetch("/debug/pprof/allocs", scenario+".allocs.pprof")
	}()
	return func() { <-done }
}

// soakRun is Conduit held at a fixed rate: RSS sampled over time and its slope.
type soakRun struct {
	Rate        int       `json:"rate"`
	Duration    string    `json:"duration"`
	Requests    uint64    `json:"requests"`
	Success     float64   `json:"success"`
	P50         float64   `json:"p50_ms"`
	P99         float64   `json:"p99_ms"`
	RSSMB       []float64 `json:"rss_mb"` // every 10 s
	StartMB     float64   `json:"start_mb"`
	EndMB       float64   `json:"end_mb"`
	SlopeMBPerH float64   `json:"slope_mb_per_hour"` // least squares over the samples after the warm-up
	WarmupS     int       `json:"warmup_s"`          // the first third of the soak: caches and pools filling
}

func (b *bench) soak(t target, d time.Duration) *soakRun {
	const rate = 1000
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "POST", URL: t.url, Body: chatBody(false), Header: t.header()})
	atk := vegeta.NewAttacker(vegeta.Timeout(10*time.Second), vegeta.KeepAlive(true), vegeta.HTTP2(false),
		vegeta.MaxConnections(maxInFlight), vegeta.MaxWorkers(maxInFlight))
	s := &soakRun{Rate: rate, Duration: d.String()}
	stop := every(10*time.Second, func() {
		mb := float64(t.proc.rssKB()) / 1024
		s.RSSMB = append(s.RSSMB, mb)
		log.Printf("soak: %3d s rss=%.1f MB", len(s.RSSMB)*10, mb)
	})
	var m vegeta.Metrics
	for res := range atk.Attack(tr, vegeta.Rate{Freq: rate, Per: time.Second}, d, "soak") {
		m.Add(res)
	}
	m.Close()
	stop()
	s.Requests, s.Success, s.P50, s.P99 = m.Requests, m.Success, ms(m.Latencies.P50), ms(m.Latencies.P99)
	if n := len(s.RSSMB); n > 0 {
		s.StartMB, s.EndMB = s.RSSMB[0], s.RSSMB[n-1]
	}
	if skip := len(s.RSSMB) / 3; len(s.RSSMB)-skip >= 3 {
		s.WarmupS = skip * 10
		s.SlopeMBPerH = slope(s.RSSMB[skip:], 10) * 3600
	}
	log.Printf("soak: %d requests, %.1f%% ok, p50 %.3f ms, RSS %.1f → %.1f MB, slope after %d s %+.2f MB/h",
		s.Requests, s.Success*100, s.P50, s.StartMB, s.EndMB, s.WarmupS, s.SlopeMBPerH)
	return s
}

// slope is the least-squares slope of ys sampled every dt seconds, per second.
func slope(ys []float64, dt float64) float64 {
	n := float64(len(ys))
	var sx, sy, sxx, sxy float64
	for i, y := range ys {
		x := float64(i) * dt
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / den
}
