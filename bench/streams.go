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

// streamRun is time to first byte and total time of streamed answers at a modest load.
type streamRun struct {
	Target   string  `json:"target"`
	N        int     `json:"n"`
	TTFBP50  float64 `json:"ttfb_p50_ms"`
	TTFBP99  float64 `json:"ttfb_p99_ms"`
	TotalP50 float64 `json:"total_p50_ms"`
	TotalP99 float64 `json:"total_p99_ms"`
	Errors   int     `json:"errors"`
}

// streams measures n streamed requests, 4 at a time; vegeta reports whole-response latency
// only, so the first byte is taken from an httptrace hook.
func (b *bench) streams(t target) streamRun {
	const n, conc = 800, 4
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
	body := chatBody(true)
	var mu sync.Mutex
	var ttfb, total []time.Duration
	errs := 0
	var wg sync.WaitGroup
	work := make(chan struct{})
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
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
					continue
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				end := time.Now()
				mu.Lock()
				if err != nil || resp.StatusCode != 200 {
					errs++
				} else {
					ttfb = append(ttfb, first.Sub(start))
					total = append(total, end.Sub(start))
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	r := streamRun{Target: t.name, N: n, Errors: errs,
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
