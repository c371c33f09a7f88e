package gateway

import (
	"context"

	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/pricing"
	"github.com/conduit-gw/conduit/internal/providers"
	"github.com/conduit-gw/conduit/internal/respcache"
	"github.com/conduit-gw/conduit/internal/router"
	"github.com/conduit-gw/conduit/internal/snapshot"
)

// Embeddings serves an embeddings request.
func (g *Gateway) Embeddings(ctx context.Context, c *Call, req *llm.EmbeddingsRequest) (*Result, error) {
	s := g.cfg.Load()
	rec := g.newRecord(c, req.Model, s)
	rec.keepRequest(req.Raw)
	defer g.finish(ctx, c, rec)
	cp, err := g.cacheFor(s, c, req.Model, cacheSource{api: "embeddings", raw: req.Raw, always: true})
	if err != nil {
		return nil, rec.fail(err)
	}
	if e := g.lookup(ctx, c, cp); e != nil {
		return g.serveHit(ctx, c, rec, req.Model, e, len(req.Raw), nil)
	}
	rt := route{alias: req.Model, needs: router.Needs{Embeddings: true}}
	d, resp, err := g.planAndAnswer(ctx, s, c, rec, rt, len(req.Raw), pricing.Units{}, func(ctx context.Context, d *snapshot.Deployment) (*llm.Response, error) {
		return via(ctx, d, "embeddings", func(ctx context.Context, e providers.Embedder, model string) (*llm.Response, error) {
			return e.Embeddings(ctx, req, model)
		})
	})
	if err != nil {
		return nil, err
	}
	u := resp.Usage
	if u.PromptTokens == 0 { // some providers (Gemini) report no tokens for embeddings
		u.PromptTokens = g.inputTokens(d.ProviderModel, req.Input)
		u.TotalTokens = u.PromptTokens
		rec.Estimated = true
	}
	rec.charge(d, u, pricing.Units{})
	body := setModel(resp.Body, c.answeredBy(d, req.Model))
	rec.keepResponse(body)
	if cp != nil {
		g.remember(ctx, c, rec, cp, &respcache.Entry{Body: body})
	}
	return &Result{Body: body, OverheadMS: c.OverheadMS(g.now())}, nil
}

// Images serves an image generation request; body is the client's JSON.
func (g *Gateway) Images(ctx context.Context, c *Call, alias string, body []byte) (*Result, error) {
	s := g.cfg.Load()
	rec := g.newRecord(c, alias, s)
	rec.keepRequest(body)
	defer g.finish(ctx, c, rec)
	images := pricing.Units{Images: max(int(gjson.GetBytes(body, "n").Int()), 1)}
	rt := route{alias: alias}
	d, resp, err := g.planAndAnswer(ctx, s, c, rec, rt, len(body), images, func(ctx context.Context, d *snapshot.Deployment) (*llm.Response, error) {
		return via(ctx, d, "image generation", func(ctx context.Context, ig providers.ImageGenerator, model string) (*llm.Response, error) {
			return ig.GenerateImages(ctx, body, model)
		})
	})
	if err != nil {
		return nil, err
	}
	rec.charge(d, resp.Usage, pricing.Units{Images: int(gjson.GetBytes(resp.Body, "data.#").Int())})
	rec.keepResponse(resp.Body)
	return &Result{Body: resp.Body, OverheadMS: c.OverheadMS(g.now())}, nil
}

func unsupported(d *snapshot.Deployment, what string) *llm.Error {
	return providers.Unsupported(d.Provider.Name+" ("+d.Provider.Type+")", what)
}

// inputTokens counts the tokens of an embeddings input: a string or an array of strings.
func (g *Gateway) inputTokens(model string, input []byte) int {
	n := 0
	r := gjson.ParseBytes(input)
	if r.IsArray() {
		r.ForEach(func(_, v gjson.Result) bool {
			switch {
			case v.Type == gjson.String:
				n += g.tokens.Count(model, v.Str)
			case v.Type == gjson.Number: // one token id
				n++
			case v.IsArray(): // a list of token ids
				n += len(v.Array())
			}
			return true
		})
		return n
	}
	return g.tokens.Count(model, r.Str)
}

// planAndAnswer plans rt for a request that is answered in one piece (no stream) and calls the
// planned deployments with call until one answers. It records the deployment that answered;
// an error it returns is already recorded on rec.
func (g *Gateway) planAndAnswer(ctx context.Context, s *snapshot.Snapshot, c *Call, rec *record, rt route, bodyBytes int, n pricing.Units,
	call func(context.Context, *snapshot.Deployment) (*llm.Response, error)) (*snapshot.Deployment, *llm.Response, error) {
	plan, err := g.plan(ctx, s, c, rt, bodyBytes, 0, n)
	if err != nil {
		return nil, nil, rec.fail(err)
	}
	d, resp, err := g.answer(ctx, s, c, rt, plan, call)
	rec.setDeployment(d)
	if err != nil {
		return nil, nil, rec.fail(err)
	}
	return d, resp, nil
}
