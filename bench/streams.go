package main

import (
	"bytes"
	"io"
	"log"
	"net/http"
	"net/http/httptrace"
	"sort"
	"sync"
	"time"
)

// streamRun is time to first byte and total time of streamed answers at a fixed rate.
type streamRun struct {
	Target   string  `json:"target"`
	N        int     `json:"n"`
	Rate     int     `json:"rate"`
	TTFBP50  float64 `json:"ttfb_p50_ms"`
	TTFBP99  float64 `json:"ttfb_p99_ms"`
	TotalP50 float64 `json:"total_p50_ms"`
	TotalP99 float64 `json:"total_p99_ms"`
	Errors   int     `json:"errors"`
}

// streamRate and streamCount: streams are measured open loop at a fixed, modest rate, like the
// fixed-rate runs of non-streamed requests, so that the figure is the latency each proxy adds
// and not the queueing of a saturated machine.
const (
	streamRate  = 500
	streamCount = 3000
)

// streams measures time to first byte and total time of streamed requests sent at streamRate;
// vegeta reports whole-response latency only, so the first byte is taken from an httptrace
// hook.
func (b *bench) streams(t target) streamRun {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	body := chatBody(true)
	var mu sync.Mutex
	var ttfb, total []time.Duration
	errs := 0
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / streamRate)
	defer tick.Stop()
	for i := 0; i < streamCount; i++ {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			var first time.Time
			req, _ := http.NewRequest("POST", t.url, bytes.NewReader(body))
			req.Header = t.header()
			req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
				GotFirstResponseByte: func() { first = time.Now() },
			}))
			start := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				mu.Lock()
				errs++
				mu.Unlock()
				return
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			end := time.Now()
			mu.Lock()
			defer mu.Unlock()
			if err != nil || resp.StatusCode != 200 {
				errs++
				return
			}
			ttfb = append(ttfb, first.Sub(start))
			total = append(total, end.Sub(start))
		}()
	}
	wg.Wait()
	r := streamRun{Target: t.name, N: streamCount, Rate: streamRate, Errors: errs,
		TTFBP50: pct(ttfb, 0.5), TTFBP99: pct(ttfb, 0.99), TotalP50: pct(total, 0.5), TotalP99: pct(total, 0.99)}
	log.Printf("%-8s %-20s ttfb p50=%.3fms p99=%.3fms total p50=%.3fms errors=%d", t.name, "stream-ttfb", r.TTFBP50, r.TTFBP99, r.TotalP50, errs)
	return r
}

func pct(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return ms(s[int(float64(len(s)-1)*p)])
}
