package router

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
	"github.com/conduit-gw/conduit/internal/snapshot"
)

// Snapshots yields the current configuration.
type Snapshots interface {
	Load() *snapshot.Snapshot
}

// Checker runs background health checks: every health_check_interval_s it makes one cheap
// call per enabled provider (listing its models) and marks that provider's deployments up or
// down. A changed interval applies at once; 0 turns checks off.
type Checker struct {
	Router *Router
	Config Snapshots
	Logger *slog.Logger
	// Tick is how often the loop looks at the configured interval (default 1s).
	Tick time.Duration
	// OnResult, if set, is told each provider's check result (nil error: healthy).
	OnResult func(p *snapshot.Provider, err error)
}

// Run checks until ctx ends.
func (c *Checker) Run(ctx context.Context) {
	tick := c.Tick
	if tick <= 0 {
		tick = time.Second
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	var last time.Time
	for {
		s := c.Config.Load()
		if iv := time.Duration(s.Router.HealthCheckIntervalS) * time.Second; iv > 0 && c.Router.now().Sub(last) >= iv {
			last = c.Router.now()
			c.CheckAll(ctx, s)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CheckAll checks every enabled provider that has deployments, one at a time.
func (c *Checker) CheckAll(ctx context.Context, s *snapshot.Snapshot) {
	byProvider := map[string][]*snapshot.Deployment{}
	for _, a := range s.Aliases {
		for _, d := range a.Deployments {
			byProvider[d.ProviderID] = append(byProvider[d.ProviderID], d)
		}
	}
	for id, deps := range byProvider {
		if ctx.Err() != nil {
			return
		}
		p := s.Providers[id]
		if p == nil || !p.Enabled {
			continue
		}
		err := c.check(ctx, p)
		if errors.Is(err, errUncheckable) {
			continue
		}
		for _, d := range deps {
			c.Router.Checked(d, s.Router, err)
		}
		if c.OnResult != nil {
			c.OnResult(p, err)
		}
		if err != nil && c.Logger != nil {
			c.Logger.Warn("health check failed", "provider", p.Name, "err", err)
		}
	}
}

var errUncheckable = errors.New("provider cannot be health-checked")

func (c *Checker) check(ctx context.Context, p *snapshot.Provider) error {
	if p.Err != nil {
		return p.Err
	}
	lister, ok := p.Adapter.(providers.ModelLister)
	if !ok {
		return errUncheckable
	}
	ctx, cancel := context.WithTimeout(ctx, min(p.Timeout, 15*time.Second))
	defer cancel()
	if _, err := lister.ListModels(ctx); err != nil && !errors.Is(err, providers.ErrNoModelList) {
		return err
	}
	return nil
}

// Checked records a health check's result for a deployment: a failure marks it down and keeps
// it out of rotation until a later check or probe succeeds; a success brings it back.
func (r *Router) Checked(d *snapshot.Deployment, cfg config.Router, err error) {
	if err == nil {
		r.mu.Lock()
		hook := r.upLocked(d)
		r.mu.Unlock()
		r.notify(hook, change(d, true, ""))
		return
	}
	r.Failure(d, cfg, err)
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.st(d.ID)
	// Out until the next check: the cooldown length, or the check interval if longer.
	wait := time.Duration(max(cfg.CooldownS, cfg.HealthCheckIntervalS)) * time.Second
	if until := r.now().Add(wait); until.After(st.cooldownUntil) {
		st.cooldownUntil = until
	}
}

// Tested records the outcome of a provider's connection test under the provider's own id, so
// that a provider with no deployments yet shows it (TestedHealth) until its deployments have
// a state of their own. Its deployments are recorded with Checked.
func (r *Router) Tested(providerID string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.st(testedKey(providerID))
	if err == nil {
		st.fails, st.lastErr = 0, ""
		return
	}
	st.fails, st.lastErr, st.lastErrAt = 1, llm.AsError(err).Message, r.now()
}

// TestedHealth is the outcome of the provider's latest connection test (status unknown if
// none ran).
func (r *Router) TestedHealth(providerID string) Health {
	return r.Health(testedKey(providerID))
}

func testedKey(providerID string) string { return "tested:" + providerID }
