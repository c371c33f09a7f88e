package gateway

import (
	"context"
	"errors"
	"io"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/router"
	"github.com/conduit-gw/conduit/internal/snapshot"
	"github.com/conduit-gw/conduit/internal/usage"
)

// attemptFn calls one deployment. It returns nil when the deployment answered (for streams:
// produced its first chunk), after which no other deployment is tried.
type attemptFn func(ctx context.Context, d *snapshot.Deployment) error

// route is what a request asked for: the alias and what its deployments must support. A
// request refused as too long is planned again from it (context_window_fallbacks).
type route struct {
	alias string
	needs router.Needs
}

// try runs fn over the planned deployments and returns the deployment that answered, or the
// last one tried with the final error.
//
// The plan is worked through one priority tier of one alias at a time. Within a tier, a
// transient failure (429, 5xx, a connection reset before the response) is retried on the same
// deployment after a back-off (honouring Retry-After when it fits under retry_max_ms), up to
// max_retries times; the tier's other deployments are tried while it waits. A timeout, a
// deployment entering cooldown or any other retryable failure moves on without a retry on the
// same deployment. Only when a tier has nothing left does the next tier (or the next fallback
// alias) start. A request refused as longer than a deployment's context window goes to the
// alias's deployments with a larger context_window, then to context_window_fallbacks; other
// failures that are not retryable end the request at once.
func (g *Gateway) try(ctx context.Context, s *snapshot.Snapshot, c *Call, rt route, plan []*snapshot.Deployment, fn attemptFn) (*snapshot.Deployment, error) {
	var (
		last    *snapshot.Deployment
		lastErr *llm.Error
		routed  map[string]bool // aliases a too-long request was already sent to
	)
	for queue := plan; len(queue) > 0; {
		n := tierLen(queue)
		d, err := g.tryTier(ctx, s, c, queue[:n], fn)
		if err == nil {
			return d, nil
		}
		last, lastErr = d, err
		switch {
		case err.Code == llm.CodeClientClosed:
			return last, lastErr
		case err.ContextLength:
			if routed == nil {
				routed = map[string]bool{}
			}
			queue = g.largerContext(s, rt, d, queue[n:], routed)
		case !err.Retryable:
			return last, lastErr
		default:
			queue = queue[n:]
		}
	}
	return last, lastErr
}

// tierLen is the length of the tier queue starts with: the deployments of one alias with one
// priority.
func tierLen(queue []*snapshot.Deployment) int {
	n := 1
	for n < len(queue) && queue[n].Alias == queue[0].Alias && queue[n].Priority == queue[0].Priority {
		n++
	}
	return n
}

// pending is one deployment of a tier: how often it was called and how long until it may be
// called again.
type pending struct {
	d     *snapshot.Deployment
	calls int
	wait  time.Duration
	done  bool // not to be called again in this request
}

// tryTier calls the tier's deployments in order, retrying transient failures on the same
// deployment after a back-off; while one waits, the others are tried. It returns the
// deployment that answered, or the last failure.
func (g *Gateway) tryTier(ctx context.Context, s *snapshot.Snapshot, c *Call, tier []*snapshot.Deployment, fn attemptFn) (*snapshot.Deployment, *llm.Error) {
	var one [1]pending
	ps := one[:0]
	if len(tier) > 1 {
		ps = make([]pending, 0, len(tier))
	}
	for _, d := range tier {
		ps = append(ps, pending{d: d})
	}
	var (
		last    *snapshot.Deployment
		lastErr *llm.Error
	)
	for {
		p := nextReady(ps)
		if p == nil {
			w := soonest(ps)
			if w == nil {
				return last, lastErr
			}
			// Nothing is ready: wait for the deployment whose back-off ends first.
			t0 := g.now()
			err := g.sleep(ctx, w.wait)
			c.upstream += g.now().Sub(t0)
			if err != nil {
				return last, clientGone(err)
			}
			elapse(ps, w.wait)
			continue
		}
		t0 := g.now()
		err := g.attempt(ctx, s, c, p.d, fn)
		elapse(ps, g.now().Sub(t0))
		p.calls++
		if err == nil {
			return p.d, nil
		}
		last, lastErr = p.d, err
		if err.Code == llm.CodeClientClosed || err.ContextLength || !err.Retryable {
			return last, lastErr
		}
		p.done = true
		if transient(err) && p.calls <= s.Router.MaxRetries && !g.router.CoolingDown(p.d) {
			maxWait := time.Duration(s.Router.RetryMaxMS) * time.Millisecond
			if maxWait <= 0 || err.RetryAfter <= maxWait { // a longer Retry-After: move on
				p.done, p.wait = false, g.router.Backoff(s.Router, p.calls, err.RetryAfter)
			}
		}
	}
}

// nextReady returns the first deployment that may be called now.
func nextReady(ps []pending) *pending {
	for i := range ps {
		if !ps[i].done && ps[i].wait <= 0 {
			return &ps[i]
		}
	}
	return nil
}

// soonest returns the waiting deployment whose back-off ends first (nil: none is left).
func soonest(ps []pending) *pending {
	var w *pending
	for i := range ps {
		if !ps[i].done && (w == nil || ps[i].wait < w.wait) {
			w = &ps[i]
		}
	}
	return w
}

// elapse counts d off every back-off.
func elapse(ps []pending, d time.Duration) {
	for i := range ps {
		ps[i].wait -= d
	}
}

// attempt makes one call, records it in the router's health and, once anything failed, in
// the request's attempt log.
func (g *Gateway) attempt(ctx context.Context, s *snapshot.Snapshot, c *Call, d *snapshot.Deployment, fn attemptFn) *llm.Error {
	c.Attempts++
	c.Provider = d.Provider.Name
	var span trace.Span
	actx := ctx
	if c.Span != nil {
		actx, span = c.startAttemptSpan(ctx, d)
	}
	t0 := g.now()
	var err error
	if d.Provider.Err != nil {
		err = llm.Upstream("provider "+d.Provider.Name+" is misconfigured: "+d.Provider.Err.Error(), d.Provider.Err).Retry()
	} else {
		err = fn(actx, d)
	}
	took := g.now().Sub(t0)
	c.upstream += took
	if err == nil {
		g.router.Success(d, took)
		if len(c.attemptLog) > 0 {
			c.logAttempt(d, nil, took)
		}
		if span != nil {
			c.endAttemptSpan(span, nil)
		}
		return nil
	}
	e := llm.AsError(err)
	if ctx.Err() != nil {
		e = clientGone(ctx.Err())
	}
	c.logAttempt(d, e, took)
	if span != nil {
		c.endAttemptSpan(span, e)
	}
	if e.Code == llm.CodeClientClosed {
		return e
	}
	if e.Retryable && e.Status >= 500 { // a deployment that cannot serve this request is not unhealthy
		g.router.Failure(d, s.Router, e)
	}
	g.log.Warn("upstream attempt failed", "provider", d.Provider.Name, "model", d.ProviderModel,
		"attempt", c.Attempts, "err", e)
	return e
}

// logAttempt appends one call to the request's attempt log (err nil: it answered).
func (c *Call) logAttempt(d *snapshot.Deployment, err *llm.Error, took time.Duration) {
	a := usage.Attempt{DeploymentID: d.ID, Alias: d.Alias, ProviderID: d.ProviderID,
		ProviderModel: d.ProviderModel, Status: 200, DurationMS: ms(took)}
	if err != nil {
		a.Status, a.ErrorCode, a.Error = err.Status, err.Code, err.Message
		if err.UpstreamStatus != 0 {
			a.Status = err.UpstreamStatus
		}
	}
	c.attemptLog = append(c.attemptLog, a)
}

// transient reports whether a failure may pass if the same deployment is asked again soon:
// the upstream answered 429 or 5xx, or the connection broke before any response. A timeout
// (the deployment was silent) is not transient.
func transient(e *llm.Error) bool {
	if e.UpstreamStatus != 0 {
		return e.UpstreamStatus == 429 || e.UpstreamStatus >= 500
	}
	return e.Code == llm.CodeUpstreamError && e.Cause != nil &&
		(errors.Is(e.Cause, syscall.ECONNRESET) || errors.Is(e.Cause, syscall.ECONNREFUSED) ||
			errors.Is(e.Cause, syscall.EPIPE) || errors.Is(e.Cause, io.EOF) || errors.Is(e.Cause, io.ErrUnexpectedEOF))
}

// largerContext plans where a request refused as too long by d goes: the deployments left in
// the queue of d's alias whose context_window is larger than d's (when d's is known), then
// the aliases of context_window_fallbacks (each once). The request is never sent unchanged to
// a deployment no larger than the one that refused it.
func (g *Gateway) largerContext(s *snapshot.Snapshot, rt route, d *snapshot.Deployment, rest []*snapshot.Deployment, routed map[string]bool) []*snapshot.Deployment {
	var out []*snapshot.Deployment
	if d.ContextWindow > 0 {
		for _, o := range rest {
			if o.Alias == d.Alias && o.ContextWindow > d.ContextWindow {
				out = append(out, o)
			}
		}
	}
	routed[d.Alias] = true
	for _, alias := range s.Router.ContextWindowFallbacks[d.Alias] {
		if routed[alias] {
			continue
		}
		routed[alias] = true
		more, err := g.router.Plan(s, alias, rt.needs)
		if err != nil {
			continue
		}
		for _, o := range more {
			if o.Alias == alias { // the bigger alias's own deployments, not its fallbacks
				out = append(out, o)
			}
		}
	}
	return out
}

func clientGone(err error) *llm.Error { return llm.ClientClosed(err) }

// withTimeout bounds one attempt by the provider's timeout.
func withTimeout(ctx context.Context, d *snapshot.Deployment) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d.Provider.Timeout)
}

// firstTokenLimit bounds an attempt until its first byte: the deployment's limit when it has
// one shorter than the provider's timeout_ms, else that timeout.
func firstTokenLimit(d *snapshot.Deployment) time.Duration {
	if d.FirstToken > 0 {
		return min(d.FirstToken, d.Provider.Timeout)
	}
	return d.Provider.Timeout
}

// idleLimit bounds the gap between a stream's chunks: the deployment's limit, else (none
// configured) the provider's timeout_ms.
func idleLimit(d *snapshot.Deployment) time.Duration {
	if d.StreamIdle > 0 {
		return d.StreamIdle
	}
	return d.Provider.Timeout
}

// isTimeout reports whether err came from the provider timeout rather than the client.
func isTimeout(parent context.Context, err error) bool {
	return parent.Err() == nil && errors.Is(err, context.DeadlineExceeded)
}

// timeoutError is the 504 of a provider that exceeded its timeout_ms.
func timeoutError(d *snapshot.Deployment, took time.Duration) *llm.Error {
	return llm.UpstreamTimeout("provider "+d.Provider.Name+" did not answer within "+took.Round(time.Millisecond).String(), nil).Retry()
}
