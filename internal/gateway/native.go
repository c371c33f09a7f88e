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

// Client APIs that some providers serve natively.
const (
	APIResponses = "responses" // OpenAI's Responses API (providers.ResponsesAPI)
	APIMessages  = "messages"  // Anthropic's Messages API (providers.MessagesAPI)
)

// NativeRequest is a request in a client API that some providers serve as it is (API names
// which), as the gateway routes it.
type NativeRequest struct {
	API    string
	Model  string
	Stream bool
	// Raw is the client's body, forwarded with only the model rewritten to deployments whose
	// provider serves API; Header holds the client headers to pass on with it.
	Raw    []byte
	Header http.Header
	// MaxOutputTokens sizes the budget reservation (0: unknown).
	MaxOutputTokens int
	// Chat is the request translated to chat for every other deployment; nil when it has no
	// translation, and ChatErr says why (a 400 naming what only native deployments serve).
	Chat    *llm.ChatRequest
	ChatErr error
}

// Native serves a request of a client API some providers speak. When every deployment of
// the alias (and of its fallbacks) serves req.API, the request goes to them natively and
// native is true: the Result body, or each streamed chunk, is the upstream's own JSON in that
// API. Otherwise the chat translation is routed like any chat request, and the body or chunks
// are chat JSON.
func (g *Gateway) Native(ctx context.Context, c *Call, req *NativeRequest, w StreamWriter) (res *Result, native bool, err error) {
	s := g.cfg.Load()
	if !servesNatively(s, req.API, req.Model) {
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
		return nil, true, g.nativeStream(ctx, s, c, req, w, plan, rec)
	}
	var resp *llm.Response
	d, err := g.try(ctx, s, c, plan, func(ctx context.Context, d *snapshot.Deployment) error {
		actx, cancel := withTimeout(ctx, d)
		defer cancel()
		t0 := g.now()
		r, err := callNative(actx, req, d)
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

// servesNatively reports whether every deployment that may answer alias (its own and its
// fallbacks') has an adapter serving api.
func servesNatively(s *snapshot.Snapshot, api, alias string) bool {
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
			var ok bool
			switch api {
			case APIResponses:
				_, ok = d.Provider.Adapter.(providers.ResponsesAPI)
			case APIMessages:
				_, ok = d.Provider.Adapter.(providers.MessagesAPI)
			}
			if !ok {
				return false
			}
		}
	}
	return len(a.Deployments) > 0
}

// callNative sends a whole native request to d (which serves req.API: servesNatively).
func callNative(ctx context.Context, req *NativeRequest, d *snapshot.Deployment) (*llm.Response, error) {
	if req.API == APIMessages {
		return d.Provider.Adapter.(providers.MessagesAPI).Messages(ctx, req.Raw, d.ProviderModel, req.Header)
	}
	return d.Provider.Adapter.(providers.ResponsesAPI).Responses(ctx, req.Raw, d.ProviderModel)
}

func openNative(ctx context.Context, req *NativeRequest, d *snapshot.Deployment) (llm.ChunkStream, error) {
	if req.API == APIMessages {
		return d.Provider.Adapter.(providers.MessagesAPI).MessagesStream(ctx, req.Raw, d.ProviderModel, req.Header)
	}
	return d.Provider.Adapter.(providers.ResponsesAPI).ResponsesStream(ctx, req.Raw, d.ProviderModel)
}

// nativeEvent sets the model of an event that names it to alias and adds the usage it
// reports to u: a Responses stream's terminal event carries the whole usage; a Messages
// stream's message_start the input tokens, its message_delta the output tokens.
func nativeEvent(api string, ev []byte, alias string, u *llm.Usage) []byte {
	obj := "response"
	if api == APIMessages {
		obj = "message"
	}
	if m := gjson.GetBytes(ev, obj+".model"); m.Exists() && m.Str != alias {
		if out, err := sjson.SetBytes(ev, obj+".model", alias); err == nil {
			ev = out
		}
	}
	if api == APIResponses {
		if usage := gjson.GetBytes(ev, "response.usage"); usage.IsObject() {
			*u = llm.ParseResponsesUsage(usage)
		}
		return ev
	}
	switch gjson.GetBytes(ev, "type").Str {
	case "message_start":
		*u = llm.ParseMessagesUsage(gjson.GetBytes(ev, "message.usage"))
	case "message_delta":
		if out := gjson.GetBytes(ev, "usage.output_tokens"); out.Exists() {
			u.CompletionTokens = int(out.Int())
			u.TotalTokens = u.PromptTokens + u.CompletionTokens
		}
	}
	return ev
}

// nativeStream opens a native stream with failover until its first event, then relays every
// event with the model set to the alias, charging the usage the events report.
func (g *Gateway) nativeStream(ctx context.Context, s *snapshot.Snapshot, c *Call, req *NativeRequest,
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
		st, err := openNative(actx, req, d)
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
		ev = nativeEvent(req.API, ev, req.Model, &u)
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

// CountTokens counts the input tokens of a Messages request (req.API is APIMessages): exactly
// by the first planned deployment whose provider counts them, else with the local tokenizer
// over the chat translation (estimated is then true). Nothing is charged.
func (g *Gateway) CountTokens(ctx context.Context, c *Call, req *NativeRequest) (n int, estimated bool, err error) {
	s := g.cfg.Load()
	rec := g.newRecord(c, req.Model, s)
	defer g.finish(c, rec)
	if !c.Principal.Allows(req.Model) {
		return 0, false, rec.fail(notAllowed(req.Model))
	}
	plan, err := g.router.Plan(s, req.Model, router.Needs{})
	if err != nil {
		return 0, false, rec.fail(err)
	}
	d := plan[0]
	rec.setDeployment(d)
	c.Provider = d.Provider.Name
	if ma, ok := d.Provider.Adapter.(providers.MessagesAPI); ok && d.Provider.Err == nil {
		actx, cancel := withTimeout(ctx, d)
		r, err := ma.CountTokens(actx, req.Raw, d.ProviderModel, req.Header)
		cancel()
		if err == nil {
			rec.PromptTokens = r.Usage.PromptTokens
			return r.Usage.PromptTokens, false, nil
		}
		g.log.Warn("counting tokens upstream failed; counting locally", "provider", d.Provider.Name, "err", err)
	}
	if req.Chat == nil {
		return 0, false, rec.fail(req.ChatErr)
	}
	if err := req.Chat.Decode(); err != nil {
		return 0, false, rec.fail(err)
	}
	n = g.tokens.Prompt(d.ProviderModel, req.Chat)
	rec.PromptTokens, rec.Estimated = n, true
	return n, true, nil
}
