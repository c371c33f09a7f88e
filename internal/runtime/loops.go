package runtime

import (
	"context"
	"log/slog"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/limits"
	"github.com/conduit-gw/conduit/internal/notify"
	"github.com/conduit-gw/conduit/internal/router"
	"github.com/conduit-gw/conduit/internal/snapshot"
)

// Load shedding: while the 90th percentile of the Go scheduler's latency over
// pressureInterval stays above pressureTarget (admission.Pressure), at most a limit of /v1
// requests are inside, which keeps that latency near pressureTarget and is never under
// doorMinPerCPU per CPU; one over the limit gets a slot only within doorAdmitWait of arriving
// (newest first), else a 503 doorHoldWait give or take a third after arriving, or at once when
// the door has emptied to half its limit with only staler waiters (admission.Door).
//
// doorAdmitWait bounds what an answered request queues. The hold paces clients that resend at
// once, as the 503's Retry-After asks them not to: each refusal costs Conduit about a third of
// an answer's CPU and such a client as much again, so a client population that keeps sending
// is refused about (its size)/doorHoldWait times a second. In make bench's overload runs (up
// to 2,000 connections, the load generator on the same two cores) a 300 ms hold cost 0.4
// refusals per answer on a quiet machine and 0.7–2.5 on a busy one, a 1 s hold 0.15 and
// 0.4–0.6, and 7–25% less CPU per answer (Conduit and the generator together).
const (
	pressureTarget   = 5 * time.Millisecond
	pressureQuantile = 0.9
	pressureInterval = 25 * time.Millisecond
	doorAdmitWait    = 50 * time.Millisecond
	doorHoldWait     = time.Second
	doorMinPerCPU    = 32
)

// startLoops starts the background work: load pressure sampling, log pruning, provider health
// checks and the periodic notification triggers.
func (r *Runtime) startLoops() {
	if !r.Options.NoShedding {
		r.Go(func(ctx context.Context) { r.Pressure.Run(ctx, pressureInterval) })
	}
	// The stored responses are written until Close, after the in-flight requests.
	go r.Conversations.Run(context.WithoutCancel(r.bg))
	r.Go(func(ctx context.Context) { pruneLogs(ctx, r.DB, r.Config, r.Options.Logger) })
	r.Go(r.cacheRun)
	checker := &router.Checker{Router: r.Router, Config: r.Config, Logger: r.Options.Logger,
		OnResult: func(p *snapshot.Provider, err error) {
			if err == nil {
				cool := time.Duration(r.Config.Load().Router.CooldownS) * time.Second
				r.Notify.Health().Confirm(p.ID, p.Name, time.Now(), cool)
			}
		}}
	r.Go(checker.Run)
	r.Go(func(ctx context.Context) { watch(ctx, r.Config, r.Notify) })
	if r.fanout != nil {
		r.Go(r.listen)
		r.Go(r.relay)
	}
}

// KeySpender reads each key's spend since a time from the request log.
type KeySpender interface {
	KeySpend(ctx context.Context, since map[string]time.Time) (map[string]float64, error)
}

// seedSpend rebuilds every key's spend in its current budget period from the request log, so
// a restart (or a crash, minus the unflushed batch) keeps budgets honest.
func seedSpend(ctx context.Context, db KeySpender, snap *snapshot.Snapshot, t Limiter) error {
	now := time.Now()
	since := make(map[string]time.Time, len(snap.KeysByID))
	for id, k := range snap.KeysByID {
		since[id] = limits.PeriodStart(k.BudgetDuration, now)
	}
	if len(since) == 0 {
		return nil
	}
	spend, err := db.KeySpend(ctx, since)
	if err != nil {
		return err
	}
	for id, k := range snap.KeysByID {
		t.Seed(k.Key, spend[id])
	}
	return nil
}

// spendWatch tells the notification triggers about every charge.
type spendWatch struct {
	notes *notify.Service
}

func (w spendWatch) Charged(k config.Key, cost, spend float64, at time.Time) {
	if cost <= 0 {
		return
	}
	if k.MaxBudget != nil {
		w.notes.Budget().Observe(k, spend, at)
	}
	w.notes.Anomaly().Record(k.ID, k.Name, at, cost)
}

// watch runs the periodic notification work: held-back key_spend events, provider health
// debounce, key expiry and usage anomalies.
func watch(ctx context.Context, cfg *snapshot.Holder, notes *notify.Service) {
	tick := time.NewTicker(notify.SpendEventInterval)
	defer tick.Stop()
	var lastExpiry, lastAnomaly time.Time
	for {
		now := time.Now()
		notes.Budget().FlushSpend(now)
		notes.Health().Tick(now)
		if now.Sub(lastExpiry) >= time.Minute {
			lastExpiry = now
			notes.Expiry().Scan(keysOf(cfg.Load()), now)
		}
		if now.Sub(lastAnomaly) >= 5*time.Minute {
			lastAnomaly = now
			notes.Anomaly().Check(now)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func keysOf(s *snapshot.Snapshot) []config.Key {
	keys := make([]config.Key, 0, len(s.KeysByID))
	for _, k := range s.KeysByID {
		keys = append(keys, k.Key)
	}
	return keys
}

// LogPruner deletes request logs and stored responses older than a time.
type LogPruner interface {
	PruneLogs(ctx context.Context, before time.Time) (int64, error)
	PruneResponses(ctx context.Context, before time.Time) (int64, error)
}

// pruneLogs deletes request logs and stored responses older than log_retention_days, at
// start and then hourly.
func pruneLogs(ctx context.Context, db LogPruner, cfg *snapshot.Holder, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		days := cfg.Load().Settings.LogRetentionDays
		if days > 0 {
			n, err := db.PruneLogs(ctx, time.Now().AddDate(0, 0, -days))
			switch {
			case err != nil && ctx.Err() == nil:
				log.Error("pruning old request logs failed", "err", err)
			case n > 0:
				log.Info("pruned old request logs", "rows", n, "retention_days", days)
			}
			n, err = db.PruneResponses(ctx, time.Now().AddDate(0, 0, -days))
			switch {
			case err != nil && ctx.Err() == nil:
				log.Error("pruning old stored responses failed", "err", err)
			case n > 0:
				log.Info("pruned old stored responses", "rows", n, "retention_days", days)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
