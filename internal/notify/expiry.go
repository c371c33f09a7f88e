package notify

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
)

// ExpiryScanner raises "expiry" notifications: a warning when a key expires within
// Settings().ExpiryWarningDays (0 turns warnings off), a critical one when it has expired.
// Each fires once per key and expires_at value: changing a key's expiry re-arms both. A key
// first seen already expired only gets the critical one. Disabled keys are skipped.
type ExpiryScanner struct {
	svc   *Service
	mu    sync.Mutex
	state map[string]expiryState // by key ID
}

type expiryState struct {
	expiresAt       time.Time
	warned, expired bool
}

// Scan checks every key (call it periodically, e.g. every minute, with all keys: the state
// of keys absent from the list is dropped).
func (x *ExpiryScanner) Scan(keys []config.Key, now time.Time) {
	days := x.svc.settings().ExpiryWarningDays
	window := time.Duration(days) * 24 * time.Hour
	var out []Notification

	x.mu.Lock()
	seen := make(map[string]struct{}, len(keys))
	for _, k := range keys {
		seen[k.ID] = struct{}{}
		if !k.Enabled || k.ExpiresAt == nil {
			continue
		}
		exp := k.ExpiresAt.UTC()
		st := x.state[k.ID]
		if !st.expiresAt.Equal(exp) {
			st = expiryState{expiresAt: exp}
		}
		switch {
		case !now.Before(exp):
			if !st.expired {
				st.expired, st.warned = true, true
				if n := expiredNotification(k, exp, now); !x.svc.wasRestored(n.Dedupe) {
					out = append(out, n)
				}
			}
		case days > 0 && exp.Sub(now) <= window:
			if !st.warned {
				st.warned = true
				if n := expiringNotification(k, exp, now); !x.svc.wasRestored(n.Dedupe) {
					out = append(out, n)
				}
			}
		}
		x.state[k.ID] = st
	}
	for id := range x.state {
		if _, ok := seen[id]; !ok {
			delete(x.state, id)
		}
	}
	x.mu.Unlock()

	for _, n := range out {
		x.svc.Notify(n)
	}
}

func expiryDedupe(keyID string, exp time.Time, what string) string {
	return "expiry:" + keyID + ":" + strconv.FormatInt(exp.UnixMilli(), 10) + ":" + what
}

func expiringNotification(k config.Key, exp, now time.Time) Notification {
	name := keyName(k)
	return expiryNotification(k, exp, now, SeverityWarning, "warning",
		fmt.Sprintf("Key %q expires %s", name, inDuration(exp.Sub(now))),
		fmt.Sprintf("Key %q (%s) expires at %s. Requests with it will be refused from "+
			"then on: extend its expiry or issue a new key.", name, k.ID, exp.Format(time.RFC3339)))
}

func expiredNotification(k config.Key, exp, now time.Time) Notification {
	name := keyName(k)
	return expiryNotification(k, exp, now, SeverityCritical, "expired",
		fmt.Sprintf("Key %q has expired", name),
		fmt.Sprintf("Key %q (%s) expired at %s. Requests with it are refused.", name, k.ID,
			exp.Format(time.RFC3339)))
}

// expiryNotification is the notification of key k expiring at exp; what tells its dedupe key
// apart from the other expiry notification of the same expiry.
func expiryNotification(k config.Key, exp, now time.Time, severity, what, title, body string) Notification {
	return Notification{Time: now, Type: TypeExpiry, Severity: severity, Title: title, Body: body,
		KeyID: k.ID, Dedupe: expiryDedupe(k.ID, exp, what)}
}

// inDuration renders a positive duration coarsely: "in 3 days", "in 1 day", "in 5 hours",
// "in less than an hour".
func inDuration(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "in 1 " + unit
		}
		return "in " + strconv.FormatInt(n, 10) + " " + unit + "s"
	}
	switch {
	case d >= 24*time.Hour:
		return plural(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour:
		return plural(int64(d/time.Hour), "hour")
	default:
		return "in less than an hour"
	}
}
