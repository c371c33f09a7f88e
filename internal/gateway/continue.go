package gateway

import (
	"bytes"
	"context"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/snapshot"
	"github.com/conduit-gw/conduit/internal/usage"
)

// finishMarker is how a chunk with a finish reason reads: a JSON string value (null while the
// answer goes on). Inside a content string the quotes would be escaped, so a match is a key.
// It is looked for from its rare '_' (a search from its '"' would stop at every string).
var finishMarker = []byte(`"finish_reason":"`)

const finishFrom = len(`"finish`)

// hasFinish reports whether a chunk carries a finish reason.
func hasFinish(chunk []byte) bool {
	tail := finishMarker[finishFrom:]
	for i := finishFrom; i < len(chunk); {
		j := bytes.Index(chunk[i:], tail)
		if j < 0 {
			return false
		}
		if i += j; string(chunk[i-finishFrom:i]) == string(finishMarker[:finishFrom]) {
			return true
		}
		i++
	}
	return false
}

// skipCounter is a stream that passes over malformed events and counts them.
type skipCounter interface{ Skipped() int }

// prefillAfter lists the deployments of the plan after d whose rows say they continue a
// trailing assistant message: where a stream that dies mid-answer may be continued.
func prefillAfter(plan []*snapshot.Deployment, d *snapshot.Deployment) []*snapshot.Deployment {
	var out []*snapshot.Deployment
	after := false
	for _, o := range plan {
		if o == d {
			after = true
			continue
		}
		if after && o.SupportsPrefill {
			out = append(out, o)
		}
	}
	return out
}

// continuation is what a stream continued after a cut needs: the deployment that continues,
// its request, and the splicer that makes its chunks part of the client's answer.
type continuation struct {
	d      *snapshot.Deployment
	splice *splicer
}

// continueAnswer opens a continuation of the answer so far on the first of rest that takes
// it (with the usual retries), after the stream of d broke with cause. It returns nil when the
// answer cannot be continued: a cut inside a tool call, no deployment left, or every one
// refused (a model that rejects prefill answers 400).
func (g *Gateway) continueAnswer(ctx context.Context, s *snapshot.Snapshot, c *Call, rt route, req *llm.ChatRequest,
	d *snapshot.Deployment, rest []*snapshot.Deployment, so *soFar, cause *llm.Error,
	open func(*llm.ChatRequest) attemptFn) *continuation {
	var before int
	cut := usage.Continuation{DeliveredBytes: so.content.Len(), Blocks: len(so.tools)}
	nd := g.resume(ctx, s, c, rt, d, rest, cause, cut, func() attemptFn {
		if !so.continuable() {
			return nil
		}
		before = g.tokens.Count(d.ProviderModel, so.content.String()+so.toolText())
		creq, err := so.continuation(req, before)
		if err != nil {
			g.log.Warn("cannot build a continuation request", "err", err)
			return nil
		}
		return open(creq)
	})
	if nd == nil {
		return nil
	}
	prompt := 0
	if req.Decode() == nil {
		prompt = g.tokens.Prompt(d.ProviderModel, req)
	}
	return &continuation{d: nd, splice: newSplicer(so, prompt, before)}
}

// resume carries an answer whose stream on d broke with cause on to the first of rest that
// takes the continuation build makes (nil: the answer cannot be continued), with the usual
// retries. It logs the broken attempt and, on the one that continues, where the cut fell; it
// returns the deployment that continues, or nil.
func (g *Gateway) resume(ctx context.Context, s *snapshot.Snapshot, c *Call, rt route, d *snapshot.Deployment,
	rest []*snapshot.Deployment, cause *llm.Error, cut usage.Continuation, build func() attemptFn) *snapshot.Deployment {
	c.cutAttempt(d, cause)
	if len(rest) == 0 {
		return nil
	}
	cont := build()
	if cont == nil {
		return nil
	}
	nd, err := g.try(ctx, s, c, rt, rest, func(ctx context.Context, d *snapshot.Deployment) error {
		if !d.SupportsPrefill { // a context-window fallback planned on the way may not
			// Not the deployment's failure (no 5xx that would count against its health).
			return llm.InvalidRequest("model", d.Alias+" does not continue a prefilled answer").Retry()
		}
		return cont(ctx, d)
	})
	if err != nil {
		return nil
	}
	if n := len(c.attemptLog); n > 0 {
		c.attemptLog[n-1].Continuation = &cut
	}
	return nd
}

// cutAttempt records that the attempt of d, which had answered, broke mid-answer.
func (c *Call) cutAttempt(d *snapshot.Deployment, cause *llm.Error) {
	if n := len(c.attemptLog); n > 0 && c.attemptLog[n-1].DeploymentID == d.ID && c.attemptLog[n-1].Status == 200 {
		c.attemptLog = c.attemptLog[:n-1]
	}
	c.logAttempt(d, cause, 0)
}

// noteSkipped records malformed events a deployment's stream passed over.
func (c *Call) noteSkipped(d *snapshot.Deployment, st llm.ChunkStream) {
	sc, ok := st.(skipCounter)
	if !ok || sc.Skipped() == 0 {
		return
	}
	if n := len(c.attemptLog); n == 0 || c.attemptLog[n-1].DeploymentID != d.ID {
		c.logAttempt(d, nil, 0)
	}
	c.attemptLog[len(c.attemptLog)-1].SkippedEvents += sc.Skipped()
}

// A continuer is a stream format whose answer can be carried on from another deployment
// after it broke mid-stream.
type continuer interface {
	// plan names the deployments a continuation may go to (supports_prefill).
	plan(rest []*snapshot.Deployment)
	// complete reports whether the answer delivered so far ended with a finish reason: its
	// stream is then complete even though it broke before its end marker.
	complete() bool
	// closing is what a complete answer whose end marker was cut off still owes the client
	// before the clean end the StreamWriter writes (a chat stream's [DONE] is that end).
	closing() [][]byte
	// continueAfter opens a continuation after the relay's attempt broke with cause and
	// reports whether r now relays it.
	continueAfter(ctx context.Context, r *relay, cause *llm.Error) bool
}

func (f *chatStream) plan(rest []*snapshot.Deployment) {
	f.rest = rest
	if len(rest) > 0 && (f.req.N == nil || *f.req.N <= 1) { // one choice: one answer to go on with
		f.seen.so = &soFar{}
	}
}

func (f *chatStream) complete() bool { return f.finished }

func (f *chatStream) closing() [][]byte { return nil }

func (f *chatStream) continueAfter(ctx context.Context, r *relay, cause *llm.Error) bool {
	if f.seen.so == nil {
		r.c.cutAttempt(r.up.d, cause)
		return false
	}
	f.seen.fold(!r.sent.gotUsage) // the answer so far, from the chunks delivered
	broken := r.up
	broken.close()
	next := r.g.continueAnswer(ctx, r.s, r.c, r.rt, f.req, broken.d, f.rest, f.seen.so, cause,
		func(creq *llm.ChatRequest) attemptFn { f.cur = creq; return r.open })
	if next == nil {
		return false
	}
	f.spl = next.splice
	r.rec.setDeployment(r.up.d)
	f.rest = prefillAfter(f.rest, r.up.d)
	return true
}

var _ continuer = (*chatStream)(nil)
