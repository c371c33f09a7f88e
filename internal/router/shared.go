package router

import "time"

// Cooldown is a deployment benched until Until after failing (Until non-zero), or back in
// rotation (Until zero): what instances sharing the work tell each other, so that one
// instance's discovery benches a deployment for all.
type Cooldown struct {
	DeploymentID string    `json:"deployment_id"`
	Until        time.Time `json:"until,omitzero"`
	Err          string    `json:"err,omitempty"`
}

// OnCooldown registers fn to be told when a deployment enters cooldown here, or comes back
// after one. It is called without the router's lock held and must not block.
func (r *Router) OnCooldown(fn func(Cooldown)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onCooldown = fn
}

// Apply takes a cooldown decided by another instance: the deployment is skipped until
// c.Until (never shortening a cooldown of this instance's own), or is back in rotation when
// c.Until is zero. It does not call the hooks: the instance that decided has told everyone.
func (r *Router) Apply(c Cooldown) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.st(c.DeploymentID)
	if c.Until.IsZero() {
		st.fails = 0
		st.cooldownUntil, st.probeSince = time.Time{}, time.Time{}
		return
	}
	st.fails = max(st.fails, 1)
	if c.Until.After(st.cooldownUntil) {
		st.cooldownUntil = c.Until
	}
	st.probeSince = time.Time{}
	if c.Err != "" {
		st.lastErr, st.lastErrAt = c.Err, r.now()
	}
}
