package gateway

import (
	"cmp"
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/providers"
	"github.com/conduit-gw/conduit/internal/router"
	"github.com/conduit-gw/conduit/internal/snapshot"
)

// ResponsesRequest is a Responses API request as the gateway routes it.
type ResponsesRequest struct {
	Model  string
	Stream bool
	// Raw is the client's body, forwarded with only the model rewritten to deployments whose
	// provider serves the Responses API.
	Raw []byte
	// MaxOutputTokens sizes the budget reservation (0: unknown).
	MaxOutputTokens int
	// Chat is the request translated to chat for every other deployment; nil when it has no
	// translation, and ChatErr says why (a 400 naming what only native deployments serve).
	Chat    *llm.ChatRequest
	ChatErr error
}

// Responses serves a Responses request. When every deployment of the alias (and of its
// fallbacks) serves the Responses API, the request goes to them natively and native is true:
// the Result body, or each streamed chunk, is the upstream's own Responses JSON. Otherwise the
// chat translation is routed like any chat request, and the body or chunks are chat JSON.
func (g *Gateway) Responses(ctx context.Context, c *Call, req *ResponsesRequest, w StreamWriter) (res *Result, native bool, err error) {
	s := g.cfg.Load()
	if !servesResponses(s, req.Model) {
		if req.Chat == nil {
			return nil, false, g.Reject(c, req.Model, req.ChatErr)
		}
		res, err := g.Chat(ctx, c, req.Chat, w)
		return res, false, err
	}
	rec := g.newRecord(c, req.Model, s)
	rec.Stream = req.Stream
	rec.keepRequest(req.Raw)
	defer g.finish(c, rec)
	if !c.Principal.Allows(req.Model) {
		return nil, true, rec.fail(notAllowed(req.Model))
	}
	needs := router.Needs{Streaming: req.Stream}
	if req.Chat != nil {
		needs.Vision, needs.Tools = req.Chat.HasImages(), req.Chat.ToolCount() > 0
	}
	plan, err := g.router.Plan(s, req.Model, needs)
	if err != nil {
		return nil, true, rec.fail(err)
	}
	out := 256
	if req.MaxOutputTokens > 0 {
		out = min(req.MaxOutputTokens, 4096)
	}
	if err := g.admit(c, len(req.Raw), plan[0], out, 0); err != nil {
		return nil, true, rec.fail(err)
	}
	if req.Stream {
		return nil, true, g.responsesStream(ctx, s, c, req, w, plan, rec)
	}
	var resp *llm.Response
	d, err := g.try(ctx, s, c, plan, func(ctx context.Context, d *snapshot.Deployment) error {
		actx, cancel := withTimeout(ctx, d)
		defer cancel()
		t0 := g.now()
		r, err := d.Provider.Adapter.(providers.ResponsesAPI).Responses(actx, req.Raw, d.ProviderModel)
		if err != nil {
			if isTimeout(ctx, err) {
				return timeoutError(d, g.now().Sub(t0))
			}
			return err
		}
		resp = r
		return nil
	})
	rec.setDeployment(d)
	if err != nil {
		return nil, true, rec.fail(err)
	}
	body := setModel(resp.Body, req.Model)
	rec.keepResponse(body)
	rec.charge(d, resp.Usage, 0)
	rec.TTFBMS = ms(g.now().Sub(c.Start))
	return &Result{Body: body, OverheadMS: c.OverheadMS(g.now())}, true, nil
}

// servesResponses reports whether every deployment that may answer alias (its own and its
// fallbacks') has an adapter serving the Responses API.
func servesResponses(s *snapshot.Snapshot, alias string) bool {
	a := s.Aliases[alias]
	if a == nil {
		return false
	}
	names := append([]string{alias}, s.Router.Fallbacks[alias]...)
	for _, n := range names {
		fa := s.Aliases[n]
		if fa == nil {
			continue
		}
		for _, d := range fa.Deployments {
			if _, ok := d.Provider.Adapter.(providers.ResponsesAPI); !ok {
				return false
			}
		}
	}
	return len(a.Deployments) > 0
}

// responsesStream opens a native Responses stream with failover until its first event, then
// relays every event with the model set to the alias, charging the usage of the terminal
// event.
func (g *Gateway) responsesStream(ctx context.Context, s *snapshot.Snapshot, c *Call, req *ResponsesRequest,
	w StreamWriter, plan []*snapshot.Deployment, rec *record) error {
	var (
		stream llm.ChunkStream
		first  []byte
		cancel context.CancelFunc = func() {}
	)
	d, err := g.try(ctx, s, c, plan, func(ctx context.Context, d *snapshot.Deployment) error {
		actx, acancel := withTimeout(ctx, d)
		t0 := g.now()
		var noFirstByte atomic.Bool
		ttfb := min(g.streamTTFB, d.Provider.Timeout)
		timer := time.AfterFunc(ttfb, func() { noFirstByte.Store(true); acancel() })
		st, err := d.Provider.Adapter.(providers.ResponsesAPI).ResponsesStream(actx, req.Raw, d.ProviderModel)
		if err == nil {
			if first, err = st.Next(); err != nil {
				st.Close()
				if errors.Is(err, io.EOF) {
					err = &llm.Error{Status: http.StatusBadGateway, Type: "upstream_error", Code: llm.CodeUpstreamError,
						Message: "provider " + d.Provider.Name + " sent an empty stream", Retryable: true}
				}
				err = failedBeforeFirstChunk(err)
			}
		}
		timer.Stop()
		if err != nil {
			acancel()
			if noFirstByte.Load() && ctx.Err() == nil {
				return &llm.Error{Status: http.StatusGatewayTimeout, Type: "upstream_error", Code: llm.CodeUpstreamTimeout,
					Message: "provider " + d.Provider.Name + " sent nothing within " + ttfb.String(), Retryable: true}
			}
			if isTimeout(ctx, err) {
				return timeoutError(d, g.now().Sub(t0))
			}
			return err
		}
		stream, cancel = st, acancel
		return nil
	})
	rec.setDeployment(d)
	if err != nil {
		return rec.fail(err)
	}
	defer cancel()
	defer stream.Close()
	if err := w.Begin(Meta{Provider: c.Provider, OverheadMS: c.OverheadMS(g.now()), Native: true}); err != nil {
		return rec.fail(clientGone(err))
	}
	rec.TTFBMS = ms(g.now().Sub(c.Start))
	var stalled atomic.Bool
	idle := time.AfterFunc(g.streamIdle, func() { stalled.Store(true); cancel() })
	defer idle.Stop()
	var flushErr error
	hook, waits := stream.(llm.WaitHook)
	if waits {
		hook.BeforeWait(func() {
			if flushErr == nil {
				flushErr = w.Flush()
			}
		})
	}
	var u llm.Usage
	for ev := first; ; {
		r := gjson.GetBytes(ev, "response")
		if r.IsObject() {
			if m := r.Get("model"); m.Exists() && m.Str != req.Model {
				if out, err := sjson.SetBytes(ev, "response.model", req.Model); err == nil {
					ev = out
				}
			}
			if usage := r.Get("usage"); usage.IsObject() {
				u = llm.ParseResponsesUsage(usage)
			}
		}
		rec.keepChunk(ev)
		err := w.Chunk(ev)
		if err == nil && !waits {
			err = w.Flush()
		}
		if err = cmp.Or(err, flushErr); err != nil {
			rec.charge(d, u, 0)
			return rec.fail(clientGone(err))
		}
		ev, err = stream.Next()
		idle.Reset(g.streamIdle)
		if flushErr != nil {
			rec.charge(d, u, 0)
			return rec.fail(clientGone(flushErr))
		}
		if errors.Is(err, io.EOF) {
			rec.charge(d, u, 0)
			return w.End(nil)
		}
		if err != nil {
			e := llm.AsError(err)
			switch {
			case ctx.Err() != nil:
				e = clientGone(ctx.Err())
			case stalled.Load():
				e = &llm.Error{Status: http.StatusGatewayTimeout, Type: "upstream_error", Code: llm.CodeUpstreamTimeout,
					Message: "provider " + d.Provider.Name + " stream stalled: nothing for " + g.streamIdle.String()}
			case isTimeout(ctx, err):
				e = timeoutError(d, g.now().Sub(c.Start))
			}
			rec.fail(e)
			_ = w.End(e)
			return nil
		}
	}
}
