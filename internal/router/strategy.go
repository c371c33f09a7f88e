package router

import (
	"cmp"
	"math"
	"slices"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/snapshot"
)

// order sorts healthy deployments for one alias in place: by priority tier (lower first), and
// within a tier by the configured strategy. The caller holds r.mu.
func (r *Router) order(strategy, alias string, out []*snapshot.Deployment) {
	// Snapshots list deployments by priority already; sorting again (stably, so configuration
	// order is kept within a tier) makes the tiers hold for any input.
	slices.SortStableFunc(out, func(a, b *snapshot.Deployment) int { return cmp.Compare(a.Priority, b.Priority) })
	for start := 0; start < len(out); {
		end := start + 1
		for end < len(out) && out[end].Priority == out[start].Priority {
			end++
		}
		r.orderTier(strategy, rrKey{alias, out[start].Priority}, out[start:end])
		start = end
	}
}

// orderTier orders one priority tier in place.
func (r *Router) orderTier(strategy string, tier rrKey, t []*snapshot.Deployment) {
	if len(t) < 2 {
		return
	}
	switch strategy {
	case config.StrategyRandom:
		r.rng.Shuffle(len(t), func(i, j int) { t[i], t[j] = t[j], t[i] })
	case config.StrategyRoundRobin:
		n := r.rr[tier]
		r.rr[tier] = n + 1
		k := int(n % uint64(len(t)))
		rotated := append(append([]*snapshot.Deployment(nil), t[k:]...), t[:k]...)
		copy(t, rotated)
	case config.StrategyWeighted:
		r.weighted(t)
	case config.StrategyLeastLatency:
		lat := func(d *snapshot.Deployment) float64 {
			if st := r.state[d.ID]; st != nil && st.measured {
				return st.ewmaMS
			}
			return -1 // unmeasured deployments are tried first so they get measured
		}
		slices.SortStableFunc(t, func(a, b *snapshot.Deployment) int { return cmp.Compare(lat(a), lat(b)) })
	case config.StrategyLeastCost:
		price := func(d *snapshot.Deployment) float64 {
			if !d.Priced {
				return math.Inf(1) // unpriced last
			}
			return d.Price.InputPerMTok + d.Price.OutputPerMTok
		}
		slices.SortStableFunc(t, func(a, b *snapshot.Deployment) int { return cmp.Compare(price(a), price(b)) })
	default: // simple: configuration order
	}
}

// weighted orders t by weighted sampling without replacement.
func (r *Router) weighted(t []*snapshot.Deployment) {
	w := func(d *snapshot.Deployment) int64 {
		if d.Weight < 1 {
			return 1
		}
		return int64(d.Weight)
	}
	for i := 0; i < len(t)-1; i++ {
		var total int64
		for _, d := range t[i:] {
			total += w(d)
		}
		x := r.rng.Int64N(total)
		for j := i; j < len(t); j++ {
			if x < w(t[j]) {
				t[i], t[j] = t[j], t[i]
				break
			}
			x -= w(t[j])
		}
	}
}
