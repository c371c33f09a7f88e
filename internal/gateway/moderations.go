package gateway

import (
	"context"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/pricing"
	"github.com/conduit-gw/conduit/internal/providers"
	"github.com/conduit-gw/conduit/internal/snapshot"
)

// Moderations serves a moderation request; body is the client's JSON. It is routed, limited,
// logged and charged like chat (moderation models report no tokens, so it costs what the price
// table says of none: nothing, unless a provider reports usage).
func (g *Gateway) Moderations(ctx context.Context, c *Call, alias string, body []byte) (*Result, error) {
	return g.oneShot(ctx, c, oneShot{alias: alias, body: body, what: "moderations",
		call: adapterCall(func(ctx context.Context, m providers.Moderator, model string) (*llm.Response, error) {
			return m.Moderate(ctx, body, model)
		})})
}

// oneShot is a request answered in one JSON piece that names the alias as its model.
type oneShot struct {
	alias string
	body  []byte        // the client's request, as logged
	units pricing.Units // priced units, as known before the call
	what  string        // what the request asks of a provider, as errors name it
	call  func(ctx context.Context, d *snapshot.Deployment, what string) (*llm.Response, error)
	// settle, when set, corrects the units from the answer and says whether they are an
	// estimate.
	settle func(resp *llm.Response, n *pricing.Units) (estimated bool)
}

// oneShot serves r: plan, answer with failover, charge, name the alias.
func (g *Gateway) oneShot(ctx context.Context, c *Call, r oneShot) (*Result, error) {
	s := g.cfg.Load()
	rec := g.newRecord(c, r.alias, s)
	rec.keepRequest(r.body)
	defer g.finish(ctx, c, rec)
	d, resp, err := g.planAndAnswer(ctx, s, c, rec, route{alias: r.alias}, len(r.body), r.units, func(ctx context.Context, d *snapshot.Deployment) (*llm.Response, error) {
		return r.call(ctx, d, r.what)
	})
	if err != nil {
		return nil, err
	}
	n := r.units
	if r.settle != nil && r.settle(resp, &n) {
		rec.Estimated = true
	}
	rec.charge(d, resp.Usage, n)
	out, alias := resp.Body, c.answeredBy(d, r.alias)
	if resp.ContentType == "" { // JSON
		out = setModel(out, alias)
	}
	rec.keepResponse(out)
	return &Result{Body: out, ContentType: resp.ContentType, OverheadMS: c.OverheadMS(g.now())}, nil
}

// adapterCall is the oneShot call of a deployment through its adapter's optional interface I.
func adapterCall[I any](call func(ctx context.Context, a I, model string) (*llm.Response, error)) func(context.Context, *snapshot.Deployment, string) (*llm.Response, error) {
	return func(ctx context.Context, d *snapshot.Deployment, what string) (*llm.Response, error) {
		return via(ctx, d, what, call)
	}
}

// via calls d's adapter through its optional interface I; an adapter without it does not
// serve what was asked (another deployment may).
func via[I, R any](ctx context.Context, d *snapshot.Deployment, what string, call func(context.Context, I, string) (R, error)) (R, error) {
	a, ok := d.Provider.Adapter.(I)
	if !ok {
		var zero R
		return zero, unsupported(d, what)
	}
	return call(ctx, a, d.ProviderModel)
}
