package gateway

import (
	"context"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/pricing"
	"github.com/conduit-gw/conduit/internal/providers"
	"github.com/conduit-gw/conduit/internal/snapshot"
)

// Rerank serves a rerank request. It is priced per search unit, as the upstream reports them
// (meta.billed_units.search_units) or else as Cohere counts them, plus the tokens an upstream
// reports at the input price.
func (g *Gateway) Rerank(ctx context.Context, c *Call, req *llm.RerankRequest) (*Result, error) {
	s := g.cfg.Load()
	rec := g.newRecord(c, req.Model, s)
	rec.keepRequest(req.Raw)
	defer g.finish(c, rec)
	units := pricing.Units{SearchUnits: req.SearchUnits()}
	d, resp, err := g.planAndAnswer(ctx, s, c, rec, route{alias: req.Model}, len(req.Raw), units, func(ctx context.Context, d *snapshot.Deployment) (*llm.Response, error) {
		r, ok := d.Provider.Adapter.(providers.Reranker)
		if !ok {
			return nil, unsupported(d, "rerank")
		}
		return r.Rerank(ctx, req, d.ProviderModel)
	})
	if err != nil {
		return nil, err
	}
	if n := gjson.GetBytes(resp.Body, "meta.billed_units.search_units"); n.Exists() {
		units.SearchUnits = int(n.Int())
	}
	rec.charge(d, resp.Usage, units)
	out := setModel(resp.Body, c.answeredBy(d, req.Model))
	rec.keepResponse(out)
	return &Result{Body: out, OverheadMS: c.OverheadMS(g.now())}, nil
}
