package notify

import (
	"context"
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
//
// Across instances sharing a database (Options.FlipHealth), each instance observes and
// debounces on its own, and a change it would report is first written to the provider's
// shared health row: only the instance whose write flips the row notifies, so each down and
// each recovery is notified once across the cluster, whichever instance saw it first. The
// shared row rather than a dedupe key decides because the condition has no natural name
// instances agree on: a provider goes down and up many times, and instances see each change
// at different moments. An instance that never saw a provider go down but finds it healthy
// (Confirm, after a health check) brings a row left down (its reporter died or restarted)
// back up once the row is older than the cooldown, so the next outage is notified again.
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
// since the last notification has passed. Called with h.mu held (raiseHealth never blocks).
func (h *HealthWatcher) settle(id string, st *healthState, now time.Time) {
	if st.up == st.reported {
		return
	}
	if !st.lastReport.IsZero() && now.Sub(st.lastReport) < st.cooldown {
		return
	}
	st.reported, st.lastReport = st.up, now
	if !st.up {
		st.downSince = now
	}
	h.svc.raiseHealth(healthFlip{n: st.notification(id, now), up: st.up})
}

// Confirm records a successful health check of a provider. Across instances it brings the
// shared state back up when it was left down by an instance that is gone (see HealthWatcher);
// on its own, and while this instance still holds the provider down, it does nothing.
func (h *HealthWatcher) Confirm(providerID, name string, now time.Time, cooldown time.Duration) {
	if h.svc.flips == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.state[providerID]
	if st == nil {
		st = &healthState{up: true, reported: true, name: name}
		h.state[providerID] = st
	}
	if !st.up || !st.reported {
		return
	}
	h.svc.raiseHealth(healthFlip{n: st.notification(providerID, now), up: true, minAge: max(cooldown, time.Second)})
}

// notification is the provider_health notification of the current state.
func (st *healthState) notification(id string, now time.Time) Notification {
	name := st.displayName(id)
	n := Notification{Time: now, Type: TypeProviderHealth, ProviderID: id}
	if !st.up {
		n.Severity = SeverityCritical
		n.Title = fmt.Sprintf("Provider %s is down", name)
		n.Body = fmt.Sprintf("Provider %s (%s) is down: %s. Its deployments are skipped "+
			"while other deployments or fallbacks can serve.", name, id, orUnknown(st.err))
		return n
	}
	n.Severity = SeverityInfo
	n.Title = fmt.Sprintf("Provider %s recovered", name)
	n.Body = fmt.Sprintf("Provider %s (%s) is up again", name, id)
	if !st.downSince.IsZero() {
		n.Body += " after being down for " + now.Sub(st.downSince).Round(time.Second).String()
	}
	n.Body += "."
	return n
}

// healthFlip is a health change waiting to flip the shared state before it is notified.
type healthFlip struct {
	n      Notification
	up     bool
	minAge time.Duration
}

// flipQueue bounds the health changes waiting for the shared state; beyond it they are
// dropped (and logged): the next change or check brings the state back in line.
const flipQueue = 64

// raiseHealth notifies a health change: at once on its own, else once its flip of the shared
// state landed (on the flip worker: the caller may be a request). Never blocks.
func (s *Service) raiseHealth(f healthFlip) {
	if s.flips == nil {
		s.Notify(f.n)
		return
	}
	select {
	case s.flips <- f:
	default:
		s.log.Warn("notify: health change queue full, change not recorded", "provider", f.n.ProviderID)
	}
}

// flipLoop writes queued health changes to the shared state and notifies those this instance
// flipped, until Close.
func (s *Service) flipLoop() {
	defer s.workers.Done()
	for {
		select {
		case <-s.stop:
			return
		case f := <-s.flips:
			ctx, cancel := context.WithTimeout(s.ctx, claimTimeout)
			won, err := s.flipHealth(ctx, f.n.ProviderID, f.up, f.n.Time, f.minAge)
			cancel()
			switch {
			case err != nil && f.minAge == 0:
				s.log.Warn("notify: could not record a provider's health change; notifying from here",
					"provider", f.n.ProviderID, "err", err)
			case err != nil:
				s.log.Debug("notify: could not confirm a provider's health", "provider", f.n.ProviderID, "err", err)
				continue
			case !won:
				continue
			}
			s.Notify(f.n)
		}
	}
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
