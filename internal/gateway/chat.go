package gateway

import (
	"context"
	"net/http"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/pricing"
	"github.com/conduit-gw/conduit/internal/respcache"
	"github.com/conduit-gw/conduit/internal/router"
	"github.com/conduit-gw/conduit/internal/snapshot"
)

// Chat serves a chat completion. For req.Stream the answer goes to w and the Result is nil;
// an error returned before w.Begin was called has not been written anywhere.
func (g *Gateway) Chat(ctx context.Context, c *Call, req *llm.ChatRequest, w StreamWriter) (*Result, error) {
	return g.chat(ctx, c, req, w, cacheSource{api: "chat", raw: req.Raw, stream: req.Stream})
}

// chat serves a chat completion whose cached answer is keyed by src (the client's request,
// which may be of another API translated to chat).
func (g *Gateway) chat(ctx context.Context, c *Call, req *llm.ChatRequest, w StreamWriter, src cacheSource) (*Result, error) {
	s := g.cfg.Load()
	rec := g.newRecord(c, req.Model, s)
	rec.Stream = req.Stream
	rec.keepRequest(req.Raw)
	defer g.finish(ctx, c, rec)

	cp, err := g.cacheFor(s, c, req.Model, src)
	if err != nil {
		return nil, rec.fail(err)
	}
	if e := g.lookup(ctx, c, cp); e != nil {
		return g.serveHit(ctx, c, rec, req.Model, e, len(req.Raw), w)
	}
	rt := route{alias: req.Model, needs: router.Needs{Vision: req.HasImages(), Tools: req.ToolCount() > 0, Streaming: req.Stream}}
	plan, err := g.plan(ctx, s, c, rt, len(req.Raw), expectedOutput(req), pricing.Units{})
	if err != nil {
		return nil, rec.fail(err)
	}
	if req.Stream {
		return nil, g.streamChat(ctx, s, c, req, w, rt, plan, rec, cp)
	}
	d, resp, err := g.answer(ctx, s, c, rt, plan, func(ctx context.Context, d *snapshot.Deployment) (*llm.Response, error) {
		return d.Provider.Adapter.Chat(ctx, req, d.ProviderModel)
	})
	rec.setDeployment(d)
	if err != nil {
		return nil, rec.fail(err)
	}
	body := setModel(resp.Body, c.answeredBy(d, req.Model))
	rec.keepResponse(body)
	rec.charge(d, resp.Usage, pricing.Units{})
	rec.TTFBMS = ms(g.now().Sub(c.Start))
	if cp != nil {
		g.remember(ctx, c, rec, cp, &respcache.Entry{Body: body})
	}
	return &Result{Body: body, OverheadMS: c.OverheadMS(g.now())}, nil
}

// plan checks that the principal may use alias, plans its deployments for the request's needs
// and admits the request against the key's limits (see admit).
func (g *Gateway) plan(ctx context.Context, s *snapshot.Snapshot, c *Call, rt route, bodyBytes, outTokens int, n pricing.Units) ([]*snapshot.Deployment, error) {
	if !c.Principal.Allows(rt.alias) {
		return nil, notAllowed(rt.alias)
	}
	plan, err := g.router.Plan(s, rt.alias, rt.needs)
	if err != nil {
		return nil, err
	}
	if err := g.admit(ctx, c, bodyBytes, plan[0], outTokens, n); err != nil {
		return nil, err
	}
	return plan, nil
}

// answer calls the planned deployments one after another (try) until one answers, each call
// bounded by its provider's timeout.
func (g *Gateway) answer(ctx context.Context, s *snapshot.Snapshot, c *Call, rt route, plan []*snapshot.Deployment,
	call func(context.Context, *snapshot.Deployment) (*llm.Response, error)) (*snapshot.Deployment, *llm.Response, error) {
	var resp *llm.Response
	d, err := g.try(ctx, s, c, rt, plan, func(ctx context.Context, d *snapshot.Deployment) error {
		actx, cancel := withTimeout(ctx, d)
		defer cancel()
		t0 := g.now()
		r, err := call(actx, d)
		if err != nil {
			if isTimeout(ctx, err) {
				return timeoutError(d, g.now().Sub(t0))
			}
			return err
		}
		resp = r
		return nil
	})
	return d, resp, err
}

// expectedOutput guesses a chat answer's length for the budget reservation.
func expectedOutput(req *llm.ChatRequest) int {
	n := 256
	for _, v := range []*int{req.MaxCompletionTokens, req.MaxTokens} {
		if v != nil && *v > 0 {
			n = min(*v, 4096)
			break
		}
	}
	if req.N != nil && *req.N > 1 {
		n *= *req.N
	}
	return n
}

func notAllowed(alias string) *llm.Error {
	return llm.Errorf(http.StatusForbidden, "invalid_request_error", llm.CodeModelNotAllowed,
		"This API key is not allowed to use the model %q", alias)
}
