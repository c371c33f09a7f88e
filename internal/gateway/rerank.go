package gateway

import (
	"context"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/pricing"
	"github.com/conduit-gw/conduit/internal/providers"
)

// Rerank serves a rerank request. It is priced per search unit, as the upstream reports them
// (meta.billed_units.search_units) or else as Cohere counts them, plus the tokens an upstream
// reports at the input price.
func (g *Gateway) Rerank(ctx context.Context, c *Call, req *llm.RerankRequest) (*Result, error) {
	return g.oneShot(ctx, c, oneShot{alias: req.Model, body: req.Raw, what: "rerank",
		units: pricing.Units{SearchUnits: req.SearchUnits()},
		call: adapterCall(func(ctx context.Context, r providers.Reranker, model string) (*llm.Response, error) {
			return r.Rerank(ctx, req, model)
		}),
		settle: func(resp *llm.Response, n *pricing.Units) bool {
			if su := gjson.GetBytes(resp.Body, "meta.billed_units.search_units"); su.Exists() {
				n.SearchUnits = int(su.Int())
			}
			return false
		}})
}
