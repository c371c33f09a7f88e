package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/snapshot"
)

// attemptFn calls one deployment. It returns nil when the deployment answered (for streams:
// produced its first chunk), after which no other deployment is tried.
type attemptFn func(ctx context.Context, d *snapshot.Deployment) error

// try runs fn over the planned deployments with retries and back-off. It returns the
// deployment that answered, or the last one tried with the final error.
func (g *Gateway) try(ctx context.Context, s *snapshot.Snapshot, c *Call, plan []*snapshot.Deployment, fn attemptFn) (*snapshot.Deployment, error) {
	maxAttempts := 1 + s.Router.MaxRetries
	if maxAttempts < 1 {
		maxAttempts = 1
	}
	tried := make(map[string]bool, len(plan))
	retries := 0 // back-offs taken: waits happen only before retrying a deployment that failed
	var last *snapshot.Deployment
	var lastErr *llm.Error
	for n := 0; n < maxAttempts; n++ {
		d := plan[n%len(plan)]
		if tried[d.ID] {
			// Back to a deployment that already failed this request: wait first.
			retries++
			wait := g.router.Backoff(s.Router, retries, lastErr.RetryAfter)
			t0 := g.now()
			err := g.sleep(ctx, wait)
			c.upstream += g.now().Sub(t0)
			if err != nil {
				return last, clientGone(err)
			}
		}
		tried[d.ID] = true
		last = d
		c.Attempts++
		c.Provider = d.Provider.Name
		if d.Provider.Err != nil {
			lastErr = llm.Upstream("provider "+d.Provider.Name+" is misconfigured: "+d.Provider.Err.Error(), d.Provider.Err).Retry()
			continue
		}
		t0 := g.now()
		err := fn(ctx, d)
		took := g.now().Sub(t0)
		c.upstream += took
		if err == nil {
			g.router.Success(d, took)
			return d, nil
		}
		if ctx.Err() != nil {
			return d, clientGone(ctx.Err())
		}
		lastErr = llm.AsError(err)
		if !lastErr.Retryable {
			return d, lastErr
		}
		if lastErr.Status >= 500 { // a deployment that cannot serve this request is not unhealthy
			g.router.Failure(d, s.Router, lastErr)
		}
		g.log.Warn("upstream attempt failed", "provider", d.Provider.Name, "model", d.ProviderModel,
			"attempt", c.Attempts, "err", lastErr)
	}
	return last, lastErr
}

func clientGone(err error) *llm.Error { return llm.ClientClosed(err) }

// withTimeout bounds one attempt by the provider's timeout.
func withTimeout(ctx context.Context, d *snapshot.Deployment) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d.Provider.Timeout)
}

// isTimeout reports whether err came from the provider timeout rather than the client.
func isTimeout(parent context.Context, err error) bool {
	return parent.Err() == nil && errors.Is(err, context.DeadlineExceeded)
}

// timeoutError is the 504 of a provider that exceeded its timeout_ms.
func timeoutError(d *snapshot.Deployment, took time.Duration) *llm.Error {
	return llm.UpstreamTimeout("provider "+d.Provider.Name+" did not answer within "+took.Round(time.Millisecond).String(), nil).Retry()
}
