package notify

import (
	"fmt"
	"sync"
	"time"

	"github.com/conduit-gw/conduit/internal/pricing"
)

// Anomaly detection parameters.
const (
	anomalyBaselineHours = 168 // trailing window of the baseline (7 days)
	anomalyMinHistory    = 6   // non-empty baseline hours needed before judging a key
	anomalyFactor        = 5.0 // last hour must exceed factor × the baseline mean…
	anomalyMinRequests   = 50  // …and these minimums, for requests
	anomalyMinCost       = 1.0 // …and for cost (USD)
	anomalyForgetAfter   = 8 * 24 * time.Hour
)

// AnomalyDetector raises an "anomaly" warning, at most once per key per UTC day, when a key's
// request count or spend in the last 60 minutes is far above its own baseline.
//
// Baseline: the hours of the previous 7 days that end before the last-hour window and had
// traffic ("active hours"; idle hours are left out, so a key used only in office hours is
// compared with its office hours). A figure is anomalous when it is at least the minimum
// (50 requests, $1), more than 5 × the active-hour mean, and more than the busiest two
// consecutive hours of the baseline (so a recurring batch, however it straddles clock hours,
// is not an alarm). Keys with fewer than 6 active hours of
// history are not judged: a new key's first busy hour is never an alarm.
type AnomalyDetector struct {
	svc   *Service
	mu    sync.Mutex
	keys  map[string]*keySeries
	fired map[string]string // key ID → UTC day ("2006-01-02") of the last anomaly
}

// bucket counts one hour or minute of a key's traffic; slot is the Unix hour or minute.
type bucket struct {
	slot     int64
	requests int64
	cost     float64
}

type keySeries struct {
	name    string
	hours   [anomalyBaselineHours + 3]bucket // by Unix hour, modulo
	minutes [61]bucket                       // by Unix minute, modulo
	last    int64                            // Unix second of the latest record
}

// Record counts one request of a key (cheap, concurrency-safe; call it per request).
func (a *AnomalyDetector) Record(keyID, keyName string, t time.Time, cost float64) {
	sec := t.Unix()
	if sec <= 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	ks := a.keys[keyID]
	if ks == nil {
		ks = &keySeries{}
		a.keys[keyID] = ks
	}
	if keyName != "" {
		ks.name = keyName
	}
	add(ks.hours[:], sec/3600, cost)
	add(ks.minutes[:], sec/60, cost)
	ks.last = max(ks.last, sec)
}

func add(ring []bucket, slot int64, cost float64) {
	b := &ring[slot%int64(len(ring))]
	switch {
	case b.slot == slot:
		b.requests++
		b.cost += cost
	case slot > b.slot:
		*b = bucket{slot: slot, requests: 1, cost: cost}
	} // older than what the ring holds: ignored
}

// Check judges every key (call it periodically, e.g. every 5 minutes).
func (a *AnomalyDetector) Check(now time.Time) {
	nowSec := now.Unix()
	day := now.UTC().Format("2006-01-02")
	var out []Notification

	a.mu.Lock()
	for id, ks := range a.keys {
		if time.Duration(nowSec-ks.last)*time.Second > anomalyForgetAfter {
			delete(a.keys, id)
			delete(a.fired, id)
			continue
		}
		if a.fired[id] == day {
			continue
		}
		f, ok := ks.figures(nowSec)
		if !ok || !f.anomalous() {
			continue
		}
		a.fired[id] = day
		if n := anomalyNotification(id, ks.name, f, now); !a.svc.wasRestored(n.Dedupe) {
			out = append(out, n)
		}
	}
	a.mu.Unlock()

	for _, n := range out {
		a.svc.Notify(n)
	}
}

// Forget drops a deleted key's history.
func (a *AnomalyDetector) Forget(keyID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.keys, keyID)
	delete(a.fired, keyID)
}

type anomalyFigures struct {
	requests          int64   // last 60 minutes
	cost              float64 // last 60 minutes
	hours             int     // active baseline hours
	meanReq, meanCost float64 // per active baseline hour
	// The busiest two consecutive baseline hours: a bound on any past 60-minute window,
	// whatever its alignment to clock hours.
	peakReq  int64
	peakCost float64
}

// figures sums the last 60 minutes and the baseline hours that end before them; ok is false
// with too little history.
func (ks *keySeries) figures(nowSec int64) (f anomalyFigures, ok bool) {
	nowMin := nowSec / 60
	for _, b := range ks.minutes {
		if b.slot > nowMin-60 && b.slot <= nowMin {
			f.requests += b.requests
			f.cost += b.cost
		}
	}
	var (
		req     [anomalyBaselineHours + 1]int64 // one spare, always zero
		cost    [anomalyBaselineHours + 1]float64
		sumReq  int64
		sumCost float64
	)
	lastFull := (nowSec-3600)/3600 - 1 // the latest hour that ends before the window
	first := lastFull - anomalyBaselineHours + 1
	for _, b := range ks.hours {
		if b.requests == 0 || b.slot < first || b.slot > lastFull {
			continue
		}
		req[b.slot-first], cost[b.slot-first] = b.requests, b.cost
		f.hours++
		sumReq += b.requests
		sumCost += b.cost
	}
	if f.hours < anomalyMinHistory {
		return f, false
	}
	for i := range anomalyBaselineHours {
		f.peakReq = max(f.peakReq, req[i]+req[i+1])
		f.peakCost = max(f.peakCost, cost[i]+cost[i+1])
	}
	f.meanReq = float64(sumReq) / float64(f.hours)
	f.meanCost = sumCost / float64(f.hours)
	return f, true
}

func (f anomalyFigures) requestsAnomalous() bool {
	return f.requests >= anomalyMinRequests && float64(f.requests) > anomalyFactor*f.meanReq &&
		f.requests > f.peakReq
}

func (f anomalyFigures) costAnomalous() bool {
	return f.cost >= anomalyMinCost && f.cost > anomalyFactor*f.meanCost && f.cost > f.peakCost
}

func (f anomalyFigures) anomalous() bool { return f.requestsAnomalous() || f.costAnomalous() }

func anomalyNotification(keyID, name string, f anomalyFigures, now time.Time) Notification {
	if name == "" {
		name = keyID
	}
	var what string
	switch {
	case f.requestsAnomalous() && f.costAnomalous():
		what = "request rate and spend"
	case f.requestsAnomalous():
		what = "request rate"
	default:
		what = "spend"
	}
	return Notification{
		Time:     now,
		Type:     TypeAnomaly,
		Severity: SeverityWarning,
		Title:    fmt.Sprintf("Unusual %s on key %q", what, name),
		Body: fmt.Sprintf("Key %q (%s) made %d requests costing %s in the last hour, against "+
			"an hourly average of %.1f requests and %s over its %d active hours of the "+
			"previous 7 days (busiest two hours: %d requests, %s).", name, keyID, f.requests,
			pricing.USD(f.cost), f.meanReq, pricing.USD(f.meanCost), f.hours, f.peakReq, pricing.USD(f.peakCost)),
		KeyID:  keyID,
		Dedupe: "anomaly:" + keyID + ":" + now.UTC().Format("2006-01-02"),
	}
}
