// Package router orders an alias's deployments for a request (strategy, capability filter,
// cooldowns, fallbacks) and computes retry back-off. It keeps per-deployment health that
// outlives configuration snapshots.
package router

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/snapshot"
)

// Needs lists what a request requires of a deployment.
type Needs struct {
	Vision, Tools, Embeddings, Streaming bool
}

// Router is safe for concurrent use.
type Router struct {
	now func() time.Time

	mu         sync.Mutex
	onChange   func(HealthChange)
	onCooldown func(Cooldown) // shared.go
	rng        *rand.Rand
	state      map[string]*depState // by deployment id
	rr         map[rrKey]uint64     // round-robin counters by alias and priority tier
}

// rrKey names one priority tier of one alias: each tier rotates on its own.
type rrKey struct {
	alias    string
	priority int
}

type depState struct {
	fails         int // consecutive; > 0 means the latest outcome was a failure
	cooldownUntil time.Time
	probeSince    time.Time // a probe after cooldown is in flight since then
	ewmaMS        float64
	measured      bool // ewmaMS holds at least one sample
	lastErr       string
	lastErrAt     time.Time
}

// New returns a router. now and seed make it deterministic in tests.
func New(now func() time.Time, seed uint64) *Router {
	if now == nil {
		now = time.Now
	}
	return &Router{
		now:   now,
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		state: map[string]*depState{},
		rr:    map[rrKey]uint64{},
	}
}

func (r *Router) st(id string) *depState {
	s := r.state[id]
	if s == nil {
		s = &depState{}
		r.state[id] = s
	}
	return s
}

// Plan returns the deployments to try, in order: the alias's own, then each fallback alias's
// (unknown, repeated and self-referencing fallbacks are skipped). It fails with 404 for an
// unknown alias, 400 when no deployment can serve what the request needs, and 503 (with
// RetryAfter set) when every deployment that could serve it is cooling down.
func (r *Router) Plan(s *snapshot.Snapshot, alias string, needs Needs) ([]*snapshot.Deployment, error) {
	a := s.Aliases[alias]
	if a == nil {
		return nil, modelNotFound(alias)
	}
	aliases := []*snapshot.Alias{a}
	if fbs := s.Router.Fallbacks[alias]; len(fbs) > 0 {
		seen := map[string]bool{alias: true}
		for _, name := range fbs {
			if fa := s.Aliases[name]; fa != nil && !seen[name] {
				seen[name] = true
				aliases = append(aliases, fa)
			}
		}
	}
	cooldowns := s.Router.CooldownAfterFailures > 0 && s.Router.CooldownS > 0

	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	capable := 0
	var soonest time.Duration // until a skipped deployment may be tried again
	var out []*snapshot.Deployment
	for _, fa := range aliases {
		from := len(out)
		var (
			c    int
			wait time.Duration
		)
		c, out, wait = r.eligible(out, fa, needs, now, cooldowns)
		capable += c
		if wait > 0 && (soonest == 0 || wait < soonest) {
			soonest = wait
		}
		r.order(s.Router.Strategy, fa.Name, out[from:])
	}
	if capable == 0 {
		if needs == (Needs{}) { // no deployment at all
			return nil, modelNotFound(alias)
		}
		return nil, llm.InvalidRequest("model", "no deployment of "+quote(alias)+" supports "+needs.describe())
	}
	if len(out) == 0 {
		if soonest <= 0 {
			soonest = time.Second
		}
		return nil, &llm.Error{Status: http.StatusServiceUnavailable, Type: llm.TypeUpstream,
			Code: llm.CodeNoHealthyDeployment, RetryAfter: soonest,
			Message: "every deployment of " + quote(alias) + " is cooling down after failures"}
	}
	return out, nil
}

func modelNotFound(alias string) *llm.Error {
	return llm.Errorf(http.StatusNotFound, "invalid_request_error", llm.CodeModelNotFound,
		"The model %q does not exist or has no enabled deployment", alias)
}

// eligible filters by capability and health (cooldowns off: every capable deployment). It
// returns how many deployments were capable, out with the usable ones appended, and the
// shortest wait until a capable deployment skipped for its health may be tried again (0 when
// none was skipped).
func (r *Router) eligible(out []*snapshot.Deployment, a *snapshot.Alias, needs Needs, now time.Time, cooldowns bool) (int, []*snapshot.Deployment, time.Duration) {
	capable := 0
	var wait time.Duration
	skip := func(until time.Time) {
		if w := until.Sub(now); w > 0 && (wait == 0 || w < wait) {
			wait = w
		}
	}
	for _, d := range a.Deployments {
		if (needs.Vision && a.AnyVision && !d.SupportsVision) ||
			(needs.Tools && a.AnyTools && !d.SupportsTools) ||
			(needs.Embeddings && a.AnyEmbeddings && !d.SupportsEmbeddings) ||
			(needs.Streaming && a.AnyStreaming && !d.SupportsStreaming) {
			continue
		}
		capable++
		st := r.state[d.ID]
		if st != nil && cooldowns && !st.cooldownUntil.IsZero() {
			if now.Before(st.cooldownUntil) {
				skip(st.cooldownUntil)
				continue
			}
			// Cooldown over: one probe request decides; others wait for its verdict (or for
			// as long as a cooldown lasts, should the verdict never come).
			probeTimeout := st.cooldownUntil.Sub(st.lastErrAt)
			if !st.probeSince.IsZero() && now.Sub(st.probeSince) < probeTimeout {
				skip(st.probeSince.Add(probeTimeout))
				continue
			}
			st.probeSince = now
		}
		out = append(out, d)
	}
	return capable, out, wait
}

// describe names everything the request needs, for the 400 message.
func (n Needs) describe() string {
	var parts []string
	for _, c := range []struct {
		need bool
		name string
	}{{n.Vision, "image inputs"}, {n.Tools, "tools"}, {n.Embeddings, "embeddings"}, {n.Streaming, "streaming"}} {
		if c.need {
			parts = append(parts, c.name)
		}
	}
	switch len(parts) {
	case 0:
		return "this request"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// HealthChange reports a deployment going down (its first failure after a success or at
// start) or coming back up.
type HealthChange struct {
	DeploymentID string
	ProviderID   string
	ProviderName string
	Up           bool
	Err          string
}

// OnHealthChange registers fn to be told of every up/down change. It is called without the
// router's lock held and must not block.
func (r *Router) OnHealthChange(fn func(HealthChange)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onChange = fn
}

// notify calls the hook outside the lock.
func (r *Router) notify(fn func(HealthChange), c HealthChange) {
	if fn != nil {
		fn(c)
	}
}

func change(d *snapshot.Deployment, up bool, err string) HealthChange {
	c := HealthChange{DeploymentID: d.ID, ProviderID: d.ProviderID, Up: up, Err: err}
	if d.Provider != nil {
		c.ProviderName = d.Provider.Name
	}
	return c
}

// Success records a successful call and its latency (time to first byte for streams).
func (r *Router) Success(d *snapshot.Deployment, latency time.Duration) {
	r.mu.Lock()
	hook := r.upLocked(d)
	defer func() { r.mu.Unlock(); r.notify(hook, change(d, true, "")) }()
	st := r.st(d.ID)
	ms := float64(latency) / float64(time.Millisecond)
	if !st.measured {
		st.ewmaMS, st.measured = ms, true
	} else {
		st.ewmaMS = 0.8*st.ewmaMS + 0.2*ms
	}
}

// upLocked marks a deployment up, returning the hook to call when that is a change.
func (r *Router) upLocked(d *snapshot.Deployment) func(HealthChange) {
	st := r.st(d.ID)
	var hook func(HealthChange)
	if st.fails > 0 {
		hook = r.onChange
		if cd := r.onCooldown; cd != nil && !st.cooldownUntil.IsZero() {
			// The deployment was benched (here or by another instance): tell the others
			// it is back. Called by the hook, outside the lock, like it.
			prev := hook
			hook = func(c HealthChange) {
				if prev != nil {
					prev(c)
				}
				cd(Cooldown{DeploymentID: d.ID})
			}
		}
	}
	st.fails = 0
	st.cooldownUntil, st.probeSince = time.Time{}, time.Time{}
	return hook
}

// Failure records a failed call; after cfg.CooldownAfterFailures consecutive failures the
// deployment is skipped for cfg.CooldownS. It reports whether the deployment entered cooldown.
func (r *Router) Failure(d *snapshot.Deployment, cfg config.Router, err error) bool {
	r.mu.Lock()
	st := r.st(d.ID)
	var hook func(HealthChange)
	if st.fails == 0 {
		hook = r.onChange
	}
	msg := llm.AsError(err).Message
	var benched *Cooldown
	defer func() {
		cd := r.onCooldown
		r.mu.Unlock()
		r.notify(hook, change(d, false, msg))
		if benched != nil && cd != nil {
			cd(*benched)
		}
	}()
	now := r.now()
	st.fails++
	st.lastErr = msg
	st.lastErrAt = now
	st.probeSince = time.Time{}
	if cfg.CooldownAfterFailures > 0 && st.fails >= cfg.CooldownAfterFailures && cfg.CooldownS > 0 {
		entered := st.cooldownUntil.IsZero() || !now.Before(st.cooldownUntil)
		st.cooldownUntil = now.Add(time.Duration(cfg.CooldownS) * time.Second)
		if entered {
			benched = &Cooldown{DeploymentID: d.ID, Until: st.cooldownUntil, Err: msg}
		}
		return entered
	}
	return false
}

// CoolingDown reports whether d is being skipped after failures.
func (r *Router) CoolingDown(d *snapshot.Deployment) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.state[d.ID]
	return st != nil && r.now().Before(st.cooldownUntil)
}

// Backoff returns the wait before retry number n (1-based): base·2^(n-1) plus up to 20%
// jitter, at least retryAfter, capped at max (a max of 0 means no cap).
func (r *Router) Backoff(cfg config.Router, n int, retryAfter time.Duration) time.Duration {
	base := time.Duration(cfg.RetryBaseMS) * time.Millisecond
	maxWait := time.Duration(cfg.RetryMaxMS) * time.Millisecond
	if n < 1 {
		n = 1
	}
	d := base
	for i := 1; i < n; i++ {
		if d <= 0 || (maxWait > 0 && d >= maxWait) || d > math.MaxInt64/4 {
			break // no growth, already capped, or about to overflow
		}
		d *= 2
	}
	if d > 0 {
		r.mu.Lock()
		d += time.Duration(r.rng.Int64N(int64(d)/5 + 1))
		r.mu.Unlock()
	}
	if retryAfter > d {
		d = retryAfter
	}
	if maxWait > 0 && d > maxWait {
		d = maxWait
	}
	return d
}

// Health is a deployment's state as the admin API shows it.
type Health struct {
	Status        string    `json:"status"` // up, down, unknown
	LastError     string    `json:"last_error,omitempty"`
	LastErrorAt   time.Time `json:"last_error_at,omitzero"`
	LatencyMS     float64   `json:"latency_ms"`
	CooldownUntil time.Time `json:"cooldown_until,omitzero"`
}

// Health returns the health of a deployment.
func (r *Router) Health(id string) Health {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.state[id]
	if st == nil {
		return Health{Status: "unknown"}
	}
	h := Health{Status: "up", LastError: st.lastErr, LastErrorAt: st.lastErrAt, LatencyMS: st.ewmaMS}
	if st.fails > 0 { // Success resets fails, so the latest outcome was a failure
		h.Status = "down"
	}
	if r.now().Before(st.cooldownUntil) {
		h.CooldownUntil = st.cooldownUntil
	}
	return h
}

func quote(s string) string { return `"` + s + `"` }
