package limits

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/pricing"
)

// Decision is the outcome of an admission check: the key's tightest request limit, as the
// x-ratelimit-* response headers report it.
type Decision struct {
	// Limited is true when the key has an RPM or RPD limit (headers are then sent).
	Limited   bool
	Limit     int // the tightest request limit
	Remaining int // requests left under it (after this one, when it was admitted)
	// Reset is the time until that limit is back to its initial state (every request of it
	// available again), as OpenAI's x-ratelimit-reset-requests reports it. When a request is
	// refused, the error's RetryAfter says when the next one is allowed.
	Reset time.Duration
}

// Tracker keeps every key's counters in memory. It is safe for concurrent use.
type Tracker struct {
	mu   sync.Mutex
	keys map[string]*keyState
	now  func() time.Time
}

type keyState struct {
	// Budget: spend within the current period, which starts at periodStart.
	duration    string
	periodStart time.Time
	spend       float64
	// In-flight requests and the cost reserved for them, so concurrent requests cannot
	// spend past the budget on credit; avgCost is the key's typical request cost.
	inflight int
	reserved float64
	avgCost  float64
	// RPM (GCRA): theoretical arrival time of the next request.
	tat time.Time
	// RPD: requests on day rpdDay (UTC midnight).
	rpdDay   time.Time
	rpdCount int
	// TPM: tokens in the current and previous minute windows.
	tpmMinute       time.Time
	tpmCur, tpmPrev int
}

// NewTracker returns an empty tracker; now defaults to time.Now.
func NewTracker(now func() time.Time) *Tracker {
	if now == nil {
		now = time.Now
	}
	return &Tracker{keys: map[string]*keyState{}, now: now}
}

func (t *Tracker) state(id string) *keyState {
	s := t.keys[id]
	if s == nil {
		s = &keyState{}
		t.keys[id] = s
	}
	return s
}

// rollBudget starts a new period when the current one has ended. A changed schedule keeps
// the spend counted so far (conservative until the next restart recounts from the log).
func (s *keyState) rollBudget(duration string, now time.Time) {
	start := PeriodStart(duration, now)
	if s.duration == duration && start.Equal(s.periodStart) {
		return
	}
	if s.duration == duration {
		s.spend = 0
	}
	s.duration, s.periodStart = duration, start
}

// Seed sets a key's spend in its current period (rebuilt from the request log at start).
func (t *Tracker) Seed(k config.Key, spend float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.state(k.ID)
	s.duration = k.BudgetDuration
	s.periodStart = PeriodStart(k.BudgetDuration, t.now())
	s.spend = spend
}

// Spend returns a key's spend in its current period and when the period resets.
func (t *Tracker) Spend(k config.Key) (float64, *time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	s := t.state(k.ID)
	s.rollBudget(k.BudgetDuration, now)
	return s.spend, NextReset(k.BudgetDuration, now)
}

// Admit checks a request against the key's budget and rate limits and, when admitted,
// counts it. promptTokens is the estimate used for TPM until Finish reports the actual;
// estCost is the request's expected cost, reserved against the budget (together with the
// key's typical cost) while it is in flight.
// The Decision describes the key's tightest request limit after the call (this request
// counted only when admitted). The Tracker never waits: ctx is for the interface Shared
// shares with it.
func (t *Tracker) Admit(_ context.Context, k config.Key, promptTokens int, estCost float64) (Decision, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	s := t.state(k.ID)
	s.rollBudget(k.BudgetDuration, now)
	s.rollDay(now)
	if k.TPM != nil {
		s.rollTPM(now)
	}

	if k.MaxBudget != nil && s.spend >= *k.MaxBudget {
		return s.decision(k, now), budgetSpentError(k, now)
	}
	reserve := max(estCost, s.avgCost)
	if k.MaxBudget != nil && s.inflight > 0 && s.spend+s.reserved+reserve > *k.MaxBudget {
		return s.decision(k, now), budgetCommittedError(*k.MaxBudget-s.spend, s.inflight)
	}

	// RPM with GCRA: up to RPM requests at once, then one per 60s/RPM.
	var newTAT time.Time
	if k.RPM != nil {
		if *k.RPM <= 0 {
			return s.decision(k, now), rateLimited("requests per minute", *k.RPM, time.Minute)
		}
		tat := s.tat
		if tat.Before(now) {
			tat = now
		}
		newTAT = tat.Add(rpmInterval(*k.RPM))
		if allowAt := newTAT.Add(-time.Minute); allowAt.After(now) {
			return s.decision(k, now), rateLimited("requests per minute", *k.RPM, allowAt.Sub(now))
		}
	}
	// RPD: a counter that resets at 00:00 UTC.
	if k.RPD != nil && s.rpdCount >= *k.RPD {
		return s.decision(k, now), rateLimited("requests per day", *k.RPD, s.rpdDay.AddDate(0, 0, 1).Sub(now))
	}
	// TPM: sliding estimate over the current and previous minute. A request larger than the
	// whole limit is let through when nothing else is counted, or it could never run.
	if k.TPM != nil {
		if used := s.tpmUsed(now); used > 0 && used+promptTokens > *k.TPM {
			return s.decision(k, now), rateLimited("tokens per minute", *k.TPM, s.tpmWait(now, *k.TPM, promptTokens))
		}
	}
	// Admitted: count it.
	if k.RPM != nil {
		s.tat = newTAT
	}
	s.rpdCount++
	if k.TPM != nil {
		s.tpmCur += promptTokens
	}
	s.inflight++
	s.reserved += reserve
	return s.decision(k, now), nil
}

// rpmInterval is the GCRA emission interval: one request per 60s/rpm (rpm > 0).
func rpmInterval(rpm int) time.Duration {
	return max(time.Minute/time.Duration(rpm), 1)
}

// decision reports the key's tightest request limit (RPM or RPD) as counted so far.
func (s *keyState) decision(k config.Key, now time.Time) Decision {
	var d Decision
	if k.RPM != nil {
		d = Decision{Limited: true, Limit: *k.RPM, Reset: time.Minute}
		if *k.RPM > 0 {
			busy := max(s.tat.Sub(now), 0) // until every request of the minute is available
			left := int((time.Minute - busy) / rpmInterval(*k.RPM))
			d.Remaining, d.Reset = min(max(left, 0), *k.RPM), busy
		}
	}
	if k.RPD != nil {
		left := max(*k.RPD-s.rpdCount, 0)
		if !d.Limited || left < d.Remaining {
			d = Decision{Limited: true, Limit: *k.RPD, Remaining: left}
			if s.rpdCount > 0 {
				d.Reset = s.rpdDay.AddDate(0, 0, 1).Sub(now)
			}
		}
	}
	return d
}

// rollDay restarts the RPD count at 00:00 UTC.
func (s *keyState) rollDay(now time.Time) {
	if day := PeriodStart(config.BudgetDaily, now); !s.rpdDay.Equal(day) {
		s.rpdDay, s.rpdCount = day, 0
	}
}

// Finish accounts a finished request: its cost (0 for failures) and its actual tokens, which
// replace the prompt estimate Admit counted. It returns the key's spend in its budget period,
// this request's cost included.
func (t *Tracker) Finish(_ context.Context, k config.Key, estimate, tokens int, cost float64) float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	s := t.state(k.ID)
	s.rollBudget(k.BudgetDuration, now)
	s.spend += cost
	if s.inflight > 0 {
		s.reserved -= s.reserved / float64(s.inflight)
		s.inflight--
	}
	if s.inflight == 0 {
		s.reserved = 0
	}
	if cost > 0 {
		if s.avgCost == 0 {
			s.avgCost = cost
		} else {
			s.avgCost = 0.8*s.avgCost + 0.2*cost
		}
	}
	if k.TPM != nil {
		s.rollTPM(now)
		s.tpmCur += tokens - estimate
		if s.tpmCur < 0 {
			s.tpmCur = 0
		}
	}
	return s.spend
}

func (s *keyState) rollTPM(now time.Time) {
	minute := now.UTC().Truncate(time.Minute)
	switch {
	case minute.Equal(s.tpmMinute):
	case minute.Sub(s.tpmMinute) == time.Minute:
		s.tpmPrev, s.tpmCur, s.tpmMinute = s.tpmCur, 0, minute
	default:
		s.tpmPrev, s.tpmCur, s.tpmMinute = 0, 0, minute
	}
}

// tpmUsed weights the previous minute by how much of it still falls in the last 60s.
func (s *keyState) tpmUsed(now time.Time) int {
	frac := 1 - float64(now.Sub(s.tpmMinute))/float64(time.Minute)
	return s.tpmCur + int(float64(s.tpmPrev)*frac)
}

// tpmWait is how long until a request of p tokens fits under limit, if nothing else is
// counted meanwhile. s.tpmMinute must be the current minute (rollTPM).
func (s *keyState) tpmWait(now time.Time, limit, p int) time.Duration {
	room := float64(max(limit-p, 0)) // what may already be counted for the request to fit
	cur, prev := float64(s.tpmCur), float64(s.tpmPrev)
	var at time.Time
	if cur <= room && prev > 0 {
		// Within this minute, as the previous minute's share fades out.
		f := 1 - (room-cur)/prev
		at = s.tpmMinute.Add(time.Duration(f * float64(time.Minute)))
	} else {
		// In the next minute, as this minute's count becomes the fading previous one.
		g := 1.0
		if cur > 0 {
			g = max(1-room/cur, 0)
		}
		at = s.tpmMinute.Add(time.Minute + time.Duration(g*float64(time.Minute)))
	}
	w := at.Sub(now)
	return (w + time.Millisecond - 1).Truncate(time.Millisecond) // round up
}

func rateLimited(what string, limit int, wait time.Duration) *llm.Error {
	if wait < time.Second {
		wait = time.Second
	}
	e := llm.Errorf(http.StatusTooManyRequests, "requests", llm.CodeRateLimitExceeded,
		"Rate limit reached: this key allows %d %s. Try again in %s.", limit, what, wait.Round(time.Second))
	e.RetryAfter = wait
	return e
}

func periodName(d string) string {
	switch d {
	case config.BudgetDaily:
		return "day"
	case config.BudgetWeekly:
		return "week"
	case config.BudgetMonthly:
		return "month"
	}
	return "period"
}

// Forget drops a deleted key's counters.
func (t *Tracker) Forget(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.keys, id)
}

// budgetSpentError is the refusal of a key whose spend has reached its max_budget.
func budgetSpentError(k config.Key, now time.Time) *llm.Error {
	e := llm.Errorf(http.StatusTooManyRequests, "insufficient_quota", llm.CodeInsufficientQuota,
		"This key has spent its budget of %s", pricing.USD(*k.MaxBudget))
	if r := NextReset(k.BudgetDuration, now); r != nil {
		e.Message += " for this " + periodName(k.BudgetDuration) + "; it resets at " + r.Format(time.RFC3339)
		e.RetryAfter = r.Sub(now)
	}
	return e
}

// budgetCommittedError is the refusal of a key whose remaining budget is reserved by requests in
// flight; it may pass again within a second.
func budgetCommittedError(remaining float64, inflight int) *llm.Error {
	e := llm.Errorf(http.StatusTooManyRequests, "insufficient_quota", llm.CodeInsufficientQuota,
		"This key's remaining budget of %s is committed to %d requests in flight", pricing.USD(remaining), inflight)
	e.RetryAfter = time.Second
	return e
}
