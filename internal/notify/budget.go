package notify

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/limits"
	"github.com/conduit-gw/conduit/internal/pricing"
)

const budgetDedupePrefix = "budget:"

// BudgetWatcher raises a "budget" notification when a key's spend reaches one of
// Settings().BudgetAlertPercents of its max_budget, once per threshold per budget period.
//
// When one observation crosses several thresholds at once (a large request, or the first
// observation after a restart), only the highest is notified and the lower ones count as
// notified: one alert saying "100%" is more useful than three at once. A change of the key's
// max_budget re-arms every threshold (the dedupe key includes the budget).
//
// It also publishes "key_spend" events for live pages, at most one per key per
// SpendEventInterval: a busy key must not flood the event bus (and its replay ring) with one
// event per request.
type BudgetWatcher struct {
	svc   *Service
	mu    sync.Mutex
	state map[string]budgetState // by key ID

	spendMu   sync.Mutex
	spentAt   map[string]time.Time // last key_spend event per key
	spendNext map[string]KeySpend  // newer spend not yet published, by key ID
}

// SpendEventInterval is the least time between two key_spend events of one key.
const SpendEventInterval = time.Second

type budgetState struct {
	period time.Time // start of the budget period (zero for "total")
	budget float64
	fired  int // highest percent notified in this period for this budget
}

// Observe is called with a key's spend in its current budget period (after each charged
// request). It publishes a "key_spend" event, or keeps it for FlushSpend when the key had one
// less than SpendEventInterval ago, and notifies a newly reached threshold.
func (w *BudgetWatcher) Observe(key config.Key, spend float64, now time.Time) {
	ev := KeySpend{KeyID: key.ID, Spend: spend, MaxBudget: key.MaxBudget}
	w.spendMu.Lock()
	last, seen := w.spentAt[key.ID]
	publish := !seen || now.Sub(last) >= SpendEventInterval || now.Before(last)
	if publish {
		w.spentAt[key.ID] = now
		delete(w.spendNext, key.ID)
	} else {
		w.spendNext[key.ID] = ev
	}
	w.spendMu.Unlock()
	if publish {
		w.svc.publish(KindKeySpend, ev)
	}
	if key.MaxBudget == nil || *key.MaxBudget <= 0 {
		return
	}
	budget := *key.MaxBudget
	highest := 0
	for _, p := range w.svc.settings().BudgetAlertPercents {
		if p > highest && reached(spend, budget, p) {
			highest = p
		}
	}
	if highest == 0 {
		return
	}
	period := limits.PeriodStart(key.BudgetDuration, now)

	w.mu.Lock()
	st, ok := w.state[key.ID]
	if !ok || !st.period.Equal(period) || st.budget != budget {
		st = budgetState{period: period, budget: budget,
			fired: w.svc.restoredBudgetPercent(budgetDedupeBase(key.ID, period, budget))}
	}
	fire := highest > st.fired
	if fire {
		st.fired = highest
	}
	w.state[key.ID] = st
	w.mu.Unlock()

	if fire {
		w.svc.Notify(budgetNotification(key, spend, budget, highest, period, now))
	}
}

// FlushSpend publishes the key_spend events Observe held back. The gateway calls it every
// SpendEventInterval, so a page sees a key's latest spend at most that late.
func (w *BudgetWatcher) FlushSpend(now time.Time) {
	w.spendMu.Lock()
	evs := make([]KeySpend, 0, len(w.spendNext))
	for id, ev := range w.spendNext {
		evs = append(evs, ev)
		w.spentAt[id] = now
		delete(w.spendNext, id)
	}
	w.spendMu.Unlock()
	for _, ev := range evs {
		w.svc.publish(KindKeySpend, ev)
	}
}

// Forget drops a deleted key's state.
func (w *BudgetWatcher) Forget(keyID string) {
	w.mu.Lock()
	delete(w.state, keyID)
	w.mu.Unlock()
	w.spendMu.Lock()
	delete(w.spentAt, keyID)
	delete(w.spendNext, keyID)
	w.spendMu.Unlock()
}

// reached reports spend ≥ pct% of budget, tolerating float rounding of summed costs.
func reached(spend, budget float64, pct int) bool {
	return pct > 0 && spend*100 >= float64(pct)*budget*(1-1e-9)
}

func budgetDedupeBase(keyID string, period time.Time, budget float64) string {
	tag := "total"
	if !period.IsZero() {
		tag = period.UTC().Format("2006-01-02")
	}
	return budgetDedupePrefix + keyID + ":" + tag + ":" + strconv.FormatFloat(budget, 'g', -1, 64)
}

func budgetNotification(key config.Key, spend, budget float64, pct int, period,
	now time.Time) Notification {
	sev := SeverityInfo
	switch {
	case pct >= 100:
		sev = SeverityCritical
	case pct >= 80:
		sev = SeverityWarning
	}
	name := keyName(key)
	kind := key.BudgetDuration
	if kind == "" {
		kind = config.BudgetTotal
	}
	reset := "It is a total budget and does not reset."
	if r := limits.NextReset(key.BudgetDuration, now); r != nil {
		reset = "It resets at " + r.UTC().Format(time.RFC3339) + "."
	}
	return Notification{
		Time:     now,
		Type:     TypeBudget,
		Severity: sev,
		Title:    fmt.Sprintf("Key %q reached %d%% of its budget", name, pct),
		Body: fmt.Sprintf("Key %q (%s) has spent %s of its %s %s budget (%.0f%%). %s",
			name, key.ID, pricing.USD(spend), pricing.USD(budget), kind, spend/budget*100, reset),
		KeyID:  key.ID,
		Dedupe: budgetDedupeBase(key.ID, period, budget) + ":" + strconv.Itoa(pct),
	}
}

func keyName(k config.Key) string {
	if k.Name != "" {
		return k.Name
	}
	return k.ID
}
