package gateway

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/trace"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/pricing"
	"github.com/conduit-gw/conduit/internal/snapshot"
	"github.com/conduit-gw/conduit/internal/usage"
)

// record is the usage row being built for one request.
type record struct {
	usage.Record
	err        error
	keepBodies bool
	// With tracing on: the request's span and the finish reasons the answer reported.
	span          trace.Span
	finishReasons []string
}

// maxLoggedBody caps each stored body (settings.log_bodies).
const maxLoggedBody = 1 << 20

// Reject logs a request refused before it reached the gateway (a body that cannot be read or
// is not a valid request) like every other /v1 request, and returns err as an *llm.Error.
func (g *Gateway) Reject(ctx context.Context, c *Call, alias string, err error) error {
	rec := g.newRecord(c, alias, g.cfg.Load())
	defer g.finish(ctx, c, rec)
	return rec.fail(err)
}

func (g *Gateway) newRecord(c *Call, alias string, s *snapshot.Snapshot) *record {
	return &record{Record: usage.Record{
		ID: c.RequestID, Time: c.Start.UTC(), KeyID: c.Principal.KeyID(), Endpoint: c.Endpoint,
		Alias: alias, Status: http.StatusOK, ClientIP: c.ClientIP,
	}, keepBodies: s.Settings.LogBodies, span: c.Span}
}

func (r *record) keepRequest(b []byte) {
	if r.span != nil {
		traceRequest(r.span, b)
	}
	if r.keepBodies {
		r.RequestBody = b[:min(len(b), maxLoggedBody)]
	}
}

func (r *record) keepResponse(b []byte) {
	if r.span != nil {
		r.noteFinish(b)
	}
	if r.keepBodies {
		r.ResponseBody = append([]byte(nil), b[:min(len(b), maxLoggedBody)]...)
	}
}

// keepChunk appends one stream event to the logged response, as the client received it.
func (r *record) keepChunk(chunk []byte) {
	if r.span != nil {
		r.noteFinish(chunk)
	}
	if !r.keepBodies || len(r.ResponseBody)+len(chunk) > maxLoggedBody {
		return
	}
	r.ResponseBody = append(r.ResponseBody, "data: "...)
	r.ResponseBody = append(r.ResponseBody, chunk...)
	r.ResponseBody = append(r.ResponseBody, "\n\n"...)
}

func (r *record) setDeployment(d *snapshot.Deployment) {
	if d != nil {
		r.ProviderID, r.ProviderModel = d.ProviderID, d.ProviderModel
	}
}

func (r *record) fail(err error) *llm.Error {
	e := llm.AsError(err)
	r.Status, r.ErrorCode, r.ErrorMessage = e.Status, e.Code, e.Message
	r.err = e
	return e
}

func (r *record) charge(d *snapshot.Deployment, u llm.Usage, n pricing.Units) {
	r.PromptTokens, r.CompletionTokens, r.CachedTokens = u.PromptTokens, u.CompletionTokens, u.CachedTokens()
	if d != nil && d.Priced {
		r.Cost = pricing.Cost(d.Price.Cost, u, n)
	}
}

// finish completes the record and hands it to the usage log. ctx is the request's: the
// limits are settled even when it was cancelled (the client went away).
func (g *Gateway) finish(ctx context.Context, c *Call, r *record) {
	now := g.now()
	r.LatencyMS = ms(now.Sub(c.Start))
	r.OverheadMS = c.OverheadMS(now)
	r.Attempts = c.Attempts
	r.AttemptLog = c.attemptLog
	if c.Span != nil {
		c.traceFinish(r)
	}
	if r.err != nil && r.Status >= 500 {
		g.log.Warn("request failed", "request_id", r.ID, "alias", r.Alias, "status", r.Status, "err", r.err)
	}
	if c.admitted {
		spend := g.limits.Finish(context.WithoutCancel(ctx), c.Principal.Key.Key, c.estimate, r.PromptTokens+r.CompletionTokens, r.Cost)
		if g.spend != nil {
			g.spend.Charged(c.Principal.Key.Key, r.Cost, spend, now)
		}
	}
	g.usage.Enqueue(r.Record)
}
