package router

import (
	"sort"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/snapshot"
)

// order sorts healthy deployments for one alias: by priority tier (lower first), and within a
// tier by the configured strategy. The caller holds r.mu.
func (r *Router) order(s *snapshot.Snapshot, alias string, deps []*snapshot.Deployment) []*snapshot.Deployment {
	if len(deps) < 2 {
		return deps
	}
	out := make([]*snapshot.Deployment, 0, len(deps))
	for start := 0; start < len(deps); {
		end := start + 1
		for end < len(deps) && deps[end].Priority == deps[start].Priority {
			end++
		}
		tier := append([]*snapshot.Deployment(nil), deps[start:end]...)
		r.orderTier(s.Router.Strategy, alias, tier)
		out = append(out, tier...)
		start = end
	}
	return out
}

func (r *Router) orderTier(strategy, alias string, t []*snapshot.Deployment) {
	if len(t) < 2 {
		return
	}
	switch strategy {
	case config.StrategyRandom:
		r.rng.Shuffle(len(t), func(i, j int) { t[i], t[j] = t[j], t[i] })
	case config.StrategyRoundRobin:
		n := r.rr[alias]
		r.rr[alias] = n + 1
		k := int(n % uint64(len(t)))
		rotated := append(append([]*snapshot.Deployment(nil), t[k:]...), t[:k]...)
		copy(t, rotated)
	case config.StrategyWeighted:
		r.weighted(t)
	case config.StrategyLeastLatency:
		lat := func(d *snapshot.Deployment) float64 {
			if st := r.state[d.ID]; st != nil {
				return st.ewmaMS
			}
			return 0 // unmeasured deployments are tried first so they get measured
		}
		sort.SliceStable(t, func(i, j int) bool { return lat(t[i]) < lat(t[j]) })
	case config.StrategyLeastCost:
		price := func(d *snapshot.Deployment) float64 {
			if !d.Priced {
				return 1e18
			}
			return d.Price.InputPerMTok + d.Price.OutputPerMTok
		}
		sort.SliceStable(t, func(i, j int) bool { return price(t[i]) < price(t[j]) })
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
