package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
)

func TestExpiryOncePerKeyAndExpiry(t *testing.T) {
	exp := t0.Add(10 * 24 * time.Hour)
	later := exp.Add(30 * 24 * time.Hour)
	type step struct {
		at   time.Time
		exp  *time.Time
		want []string
	}
	tests := []struct {
		name    string
		days    int
		enabled bool
		steps   []step
	}{
		{"warning then expired, each once", 7, true, []step{
			{t0, &exp, nil},
			{exp.Add(-7*24*time.Hour - time.Second), &exp, nil},
			{exp.Add(-7 * 24 * time.Hour), &exp, []string{`warning Key "ci" expires in 7 days`}},
			{exp.Add(-time.Hour), &exp, nil},
			{exp, &exp, []string{`critical Key "ci" has expired`}},
			{exp.Add(time.Hour), &exp, nil},
			{exp.Add(24 * time.Hour), &exp, nil},
		}},
		{"changing the expiry re-arms", 7, true, []step{
			{exp.Add(-time.Hour), &exp, []string{`warning Key "ci" expires in 1 hour`}},
			{exp.Add(-time.Hour), &later, nil},
			{later.Add(-50 * time.Hour), &later, []string{`warning Key "ci" expires in 2 days`}},
			{later.Add(-50 * time.Hour), &exp, []string{`critical Key "ci" has expired`}},
			{later.Add(-50 * time.Hour), nil, nil},
			{later, &later, []string{`critical Key "ci" has expired`}},
		}},
		{"first seen expired: only the critical one", 7, true, []step{
			{exp.Add(time.Minute), &exp, []string{`critical Key "ci" has expired`}},
			{exp.Add(time.Hour), &exp, nil},
		}},
		{"warnings off", 0, true, []step{
			{exp.Add(-time.Minute), &exp, nil},
			{exp, &exp, []string{`critical Key "ci" has expired`}},
		}},
		{"disabled keys are skipped", 7, false, []step{
			{exp.Add(-time.Minute), &exp, nil},
			{exp, &exp, nil},
		}},
		{"no expiry", 7, true, []step{{exp, nil, nil}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.settings.update(func(s *config.Settings) { s.ExpiryWarningDays = tc.days })
			for i, st := range tc.steps {
				before := len(e.published(t))
				keys := []config.Key{
					{ID: "key_ci", Name: "ci", Enabled: tc.enabled, ExpiresAt: st.exp},
					{ID: "key_other", Name: "other", Enabled: true},
				}
				e.svc.Expiry().Scan(keys, st.at)
				got := titles(e.published(t)[before:])
				if strings.Join(got, "|") != strings.Join(st.want, "|") {
					t.Fatalf("step %d: got %q, want %q", i, got, st.want)
				}
			}
		})
	}
}

func TestExpiryDetails(t *testing.T) {
	e := newEnv(t, nil)
	exp := t0.Add(90 * time.Minute)
	keys := []config.Key{{ID: "key_a", Name: "a", Enabled: true, ExpiresAt: &exp},
		{ID: "key_b", Enabled: true, ExpiresAt: new(t0.Add(-time.Second))}}
	e.svc.Expiry().Scan(keys, t0)
	pub := e.published(t)
	if len(pub) != 2 {
		t.Fatalf("got %q", titles(pub))
	}
	a, b := pub[0], pub[1]
	if a.Type != TypeExpiry || a.KeyID != "key_a" || a.Body != `Key "a" (key_a) expires at `+
		`2026-03-02T11:30:00Z. Requests with it will be refused from then on: extend its `+
		`expiry or issue a new key.` || a.Dedupe != "expiry:key_a:1772451000000:warning" {
		t.Fatalf("warning = %+v", a)
	}
	if b.Title != `Key "key_b" has expired` || b.Severity != SeverityCritical ||
		!strings.Contains(b.Body, "expired at 2026-03-02T09:59:59Z") {
		t.Fatalf("expired = %+v", b)
	}
	// A key dropped from the list is forgotten: if it comes back it fires again.
	e.svc.Expiry().Scan(keys[:1], t0)
	e.svc.Expiry().Scan(keys, t0)
	if pub := e.published(t); len(pub) != 3 || pub[2].KeyID != "key_b" {
		t.Fatalf("after forgetting: %q", titles(pub))
	}
	if got := inDuration(30 * time.Minute); got != "in less than an hour" {
		t.Fatal(got)
	}
}

func TestExpirySurvivesRestart(t *testing.T) {
	e := newEnv(t, nil)
	exp := t0.Add(24 * time.Hour)
	keys := []config.Key{{ID: "key_a", Name: "a", Enabled: true, ExpiresAt: &exp}}
	e.svc.Expiry().Scan(keys, t0)
	e.close(t)

	e2 := newEnv(t, func(o *Options) { o.Store = e.store })
	if err := e2.svc.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	e2.svc.Expiry().Scan(keys, t0.Add(time.Hour))
	e2.svc.Expiry().Scan(keys, exp)
	e2.svc.Expiry().Scan(keys, exp.Add(time.Minute))
	if got := titles(e2.published(t)); len(got) != 1 || got[0] != `critical Key "a" has expired` {
		t.Fatalf("after restart: %q", got)
	}
}
