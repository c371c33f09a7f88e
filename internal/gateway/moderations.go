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
	s := g.cfg.Load()
	rec := g.newRecord(c, alias, s)
	rec.keepRequest(body)
	defer g.finish(c, rec)
	d, resp, err := g.planAndAnswer(ctx, s, c, rec, route{alias: alias}, len(body), pricing.Units{}, func(ctx context.Context, d *snapshot.Deployment) (*llm.Response, error) {
		m, ok := d.Provider.Adapter.(providers.Moderator)
		if !ok {
			return nil, unsupported(d, "moderations")
		}
		return m.Moderate(ctx, body, d.ProviderModel)
	})
	if err != nil {
		return nil, err
	}
	rec.charge(d, resp.Usage, pricing.Units{})
	out := setModel(resp.Body, c.answeredBy(d, alias))
	rec.keepResponse(out)
	return &Result{Body: out, OverheadMS: c.OverheadMS(g.now())}, nil
}
