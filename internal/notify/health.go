package notify

import (
	"fmt"
	"sync"
	"time"
)

// HealthWatcher raises "provider_health" notifications when a provider goes down or
// recovers. Every provider counts as up until a check or a request fails, so the first
// observed failure is a change.
//
// Debounce: after a notification, further changes within the cooldown are held; when the
// window ends (at the next Observe or Tick after it), a held change is reported only if the
// state still differs from the last reported one. A flapping provider thus produces at most
// one notification per cooldown (one down/recovered pair per two windows), and a blip that
// reverts within the window produces none. The "provider_health" bus event is published on
// every observed change, undebounced, so live views show the current state.
type HealthWatcher struct {
	svc   *Service
	mu    sync.Mutex
	state map[string]*healthState // by provider ID
}

type healthState struct {
	name       string
	up         bool // last observed
	reported   bool // last notified (true initially: up)
	lastReport time.Time
	downSince  time.Time // when "down" was reported
	cooldown   time.Duration
	err        string // last failure
}

// Observe records a health check or request outcome for a provider.
func (h *HealthWatcher) Observe(providerID, name string, up bool, errMsg string,
	now time.Time, cooldown time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.state[providerID]
	if st == nil {
		st = &healthState{up: true, reported: true}
		h.state[providerID] = st
	}
	if name != "" {
		st.name = name
	}
	st.cooldown = cooldown
	if !up {
		st.err = errMsg
	}
	if st.up != up {
		st.up = up
		ev := ProviderHealth{ProviderID: providerID, Name: st.displayName(providerID),
			Status: "up"}
		if !up {
			ev.Status, ev.Error = "down", errMsg
		}
		h.svc.publish(KindProviderHealth, ev)
	}
	h.settle(providerID, st, now)
}

// Tick reports the changes held by the debounce whose window has ended. Call it
// periodically (e.g. every few seconds, or with each health-check round).
func (h *HealthWatcher) Tick(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, st := range h.state {
		h.settle(id, st, now)
	}
}

// Forget drops a deleted provider's state.
func (h *HealthWatcher) Forget(providerID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.state, providerID)
}

// settle notifies the observed state if it differs from the reported one and the cooldown
// since the last notification has passed. Called with h.mu held (Notify never blocks).
func (h *HealthWatcher) settle(id string, st *healthState, now time.Time) {
	if st.up == st.reported {
		return
	}
	if !st.lastReport.IsZero() && now.Sub(st.lastReport) < st.cooldown {
		return
	}
	st.reported, st.lastReport = st.up, now
	name := st.displayName(id)
	n := Notification{Time: now, Type: TypeProviderHealth, ProviderID: id}
	if st.up {
		n.Severity = SeverityInfo
		n.Title = fmt.Sprintf("Provider %s recovered", name)
		n.Body = fmt.Sprintf("Provider %s (%s) is up again", name, id)
		if !st.downSince.IsZero() {
			n.Body += " after being down for " + now.Sub(st.downSince).Round(time.Second).String()
		}
		n.Body += "."
	} else {
		st.downSince = now
		n.Severity = SeverityCritical
		n.Title = fmt.Sprintf("Provider %s is down", name)
		n.Body = fmt.Sprintf("Provider %s (%s) is down: %s. Its deployments are skipped "+
			"while other deployments or fallbacks can serve.", name, id, orUnknown(st.err))
	}
	h.svc.Notify(n)
}

func (st *healthState) displayName(id string) string {
	if st.name != "" {
		return st.name
	}
	return id
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown error"
	}
	return s
}
