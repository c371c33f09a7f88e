package gateway

import (
	"cmp"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/pricing"
	"github.com/conduit-gw/conduit/internal/router"
	"github.com/conduit-gw/conduit/internal/snapshot"
	"github.com/conduit-gw/conduit/internal/usage"
)

// Chat serves a chat completion. For req.Stream the answer goes to w and the Result is nil;
// an error returned before w.Begin was called has not been written anywhere.
func (g *Gateway) Chat(ctx context.Context, c *Call, req *llm.ChatRequest, w StreamWriter) (*Result, error) {
	s := g.cfg.Load()
	rec := g.newRecord(c, req.Model, s)
	rec.Stream = req.Stream
	rec.keepRequest(req.Raw)
	defer g.finish(c, rec)

	if !c.Principal.Allows(req.Model) {
		return nil, rec.fail(notAllowed(req.Model))
	}
	needs := router.Needs{Vision: req.HasImages(), Tools: req.ToolCount() > 0, Streaming: req.Stream}
	plan, err := g.router.Plan(s, req.Model, needs)
	if err != nil {
		return nil, rec.fail(err)
	}
	if err := g.admit(c, len(req.Raw), plan[0], expectedOutput(req), 0); err != nil {
		return nil, rec.fail(err)
	}
	if req.Stream {
		return nil, g.chatStream(ctx, s, c, req, w, plan, rec)
	}

	var resp *llm.Response
	d, err := g.try(ctx, s, c, plan, func(ctx context.Context, d *snapshot.Deployment) error {
		actx, cancel := withTimeout(ctx, d)
		defer cancel()
		t0 := g.now()
		r, err := d.Provider.Adapter.Chat(actx, req, d.ProviderModel)
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
		return nil, rec.fail(err)
	}
	body := setModel(resp.Body, req.Model)
	rec.keepResponse(body)
	rec.charge(d, resp.Usage, 0)
	rec.TTFBMS = ms(g.now().Sub(c.Start))
	return &Result{Body: body, OverheadMS: c.OverheadMS(g.now())}, nil
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

// chatStream opens the stream with failover until a first chunk arrives, then relays.
func (g *Gateway) chatStream(ctx context.Context, s *snapshot.Snapshot, c *Call, req *llm.ChatRequest,
	w StreamWriter, plan []*snapshot.Deployment, rec *record) error {
	var (
		stream llm.ChunkStream
		first  []byte
		cancel context.CancelFunc = func() {}
	)
	d, err := g.try(ctx, s, c, plan, func(ctx context.Context, d *snapshot.Deployment) error {
		actx, acancel := withTimeout(ctx, d)
		t0 := g.now()
		// The first byte has its own, shorter limit than the whole call.
		var noFirstByte atomic.Bool
		ttfb := min(g.streamTTFB, d.Provider.Timeout)
		timer := time.AfterFunc(ttfb, func() { noFirstByte.Store(true); acancel() })
		st, err := d.Provider.Adapter.ChatStream(actx, req, d.ProviderModel)
		if err == nil {
			first, err = st.Next()
			timer.Stop()
			if err != nil {
				st.Close()
				if errors.Is(err, io.EOF) {
					err = llm.Upstream("provider "+d.Provider.Name+" sent an empty stream", nil).Retry()
				}
				err = failedBeforeFirstChunk(err)
			}
		}
		timer.Stop()
		if err != nil {
			acancel()
			if noFirstByte.Load() && ctx.Err() == nil {
				return llm.UpstreamTimeout("provider "+d.Provider.Name+" sent nothing within "+ttfb.String(), nil).Retry()
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

	if err := w.Begin(Meta{Provider: c.Provider, OverheadMS: c.OverheadMS(g.now())}); err != nil {
		return rec.fail(clientGone(err))
	}
	rec.TTFBMS = ms(g.now().Sub(c.Start))
	// A stream that goes quiet past the idle limit is cut, and reported as stalled.
	var stalled atomic.Bool
	idle := time.AfterFunc(g.streamIdle, func() { stalled.Store(true); cancel() })
	defer idle.Stop()
	var (
		u        llm.Usage
		gotUsage bool
		text     strings.Builder // streamed text, counted when the upstream reports no usage
		chunk    = first
		flushErr error  // the client went away: seen when flushing before an upstream wait
		modelBuf []byte // chunks with the model rewritten, one buffer for the whole stream
	)
	// Chunks already received go out together; the writes are flushed before each wait on
	// the upstream. A stream that cannot say when it waits is flushed chunk by chunk.
	hook, waits := stream.(llm.WaitHook)
	if waits {
		hook.BeforeWait(func() {
			if flushErr == nil {
				flushErr = w.Flush()
			}
		})
	}
	for {
		ci := inspectChunk(chunk, !gotUsage, &text)
		if ci.usage.IsObject() {
			if pu := llm.ParseUsageResult(ci.usage); pu.PromptTokens+pu.CompletionTokens > 0 {
				u, gotUsage = pu, true
			}
		}
		// Chunks without choices (the usage chunk, Azure's prompt-filter chunk) reach the
		// client only as the usage chunk it asked for.
		if ci.choices || (req.WantsUsage() && ci.usage.IsObject()) {
			if ci.model.Str != req.Model {
				if out, ok := llm.AppendSplice(modelBuf[:0], chunk, ci.model, req.Model); ok {
					chunk, modelBuf = out, out
				} else {
					chunk = setModelAt(chunk, ci.model, req.Model)
				}
			}
			rec.keepChunk(chunk)
			err := w.Chunk(chunk)
			if err == nil && !waits {
				err = w.Flush()
			}
			if err = cmp.Or(err, flushErr); err != nil {
				// The client went away: charge what was delivered.
				rec.charge(d, g.estimate(d, req, u, gotUsage, text.String(), rec), 0)
				return rec.fail(clientGone(err))
			}
		}
		var err error
		chunk, err = stream.Next()
		idle.Reset(g.streamIdle)
		if flushErr != nil { // the client went away while the relay waited
			rec.charge(d, g.estimate(d, req, u, gotUsage, text.String(), rec), 0)
			return rec.fail(clientGone(flushErr))
		}
		if err != nil && !gotUsage {
			// Counting tokens takes a while: what was received goes to the client first.
			if ferr := w.Flush(); ferr != nil {
				rec.charge(d, g.estimate(d, req, u, gotUsage, text.String(), rec), 0)
				return rec.fail(clientGone(ferr))
			}
		}
		if errors.Is(err, io.EOF) {
			rec.charge(d, g.estimate(d, req, u, gotUsage, text.String(), rec), 0)
			return w.End(nil)
		}
		if err != nil {
			e := llm.AsError(err)
			if ctx.Err() != nil {
				e = clientGone(ctx.Err())
			} else if stalled.Load() {
				e = llm.UpstreamTimeout("provider "+d.Provider.Name+" stream stalled: nothing for "+g.streamIdle.String(), nil)
			} else if isTimeout(ctx, err) {
				e = timeoutError(d, g.now().Sub(c.Start))
			}
			rec.charge(d, g.estimate(d, req, u, gotUsage, text.String(), rec), 0)
			if e.Code != llm.CodeClientClosed {
				rec.Cost = 0 // only successful responses are charged; a client's cut is
			}
			rec.fail(e)
			_ = w.End(e)
			return nil // the error is written into the stream; nothing more to send
		}
	}
}

// estimate returns the reported usage, or counts tokens (marking the row estimated) when the
// upstream reported none.
func (g *Gateway) estimate(d *snapshot.Deployment, req *llm.ChatRequest, u llm.Usage, got bool, text string, rec *record) llm.Usage {
	if got {
		return u
	}
	rec.Estimated = true
	prompt := 0
	if err := req.Decode(); err == nil {
		prompt = g.tokens.Prompt(d.ProviderModel, req)
	}
	completion := g.tokens.Count(d.ProviderModel, text)
	return llm.Usage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion}
}

// chunkInfo is what the relay needs from one stream chunk.
type chunkInfo struct {
	model   gjson.Result // "model", with its offset in the chunk
	usage   gjson.Result
	choices bool // a non-empty "choices" array
}

// inspectChunk reads a chunk's top-level keys in one pass. With withText it also appends the
// streamed content and tool-call arguments to text (counted when the upstream reports no
// usage).
//
// The chunk is read in place, without a string copy: the results point into it and are used
// only until the chunk's buffer is reused (the next stream read); text is copied out.
func inspectChunk(chunk []byte, withText bool, text *strings.Builder) chunkInfo {
	var ci chunkInfo
	if len(chunk) == 0 {
		return ci
	}
	gjson.Parse(unsafe.String(&chunk[0], len(chunk))).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			ci.model = v
		case "usage":
			ci.usage = v
		case "choices":
			if !v.IsArray() { // null or anything else: no choices
				break
			}
			v.ForEach(func(_, c gjson.Result) bool {
				ci.choices = true
				if !withText {
					return false
				}
				text.WriteString(c.Get("delta.content").Str)
				c.Get("delta.tool_calls").ForEach(func(_, t gjson.Result) bool {
					text.WriteString(t.Get("function.name").Str)
					text.WriteString(t.Get("function.arguments").Str)
					return true
				})
				return true
			})
		}
		return true
	})
	return ci
}

// setModelAt makes a chunk name the alias the client asked for; m is the chunk's "model".
func setModelAt(b []byte, m gjson.Result, alias string) []byte {
	if out, ok := llm.SpliceString(b, m, alias); ok {
		return out
	}
	if out, err := sjson.SetBytesOptions(b, "model", alias, inPlace); err == nil {
		return out
	}
	return b
}

var inPlace = &sjson.Options{Optimistic: true, ReplaceInPlace: true}

// setModel makes the response name the alias the client asked for.
func setModel(b []byte, alias string) []byte {
	m := gjson.GetBytes(b, "model")
	if m.Exists() && m.Str == alias {
		return b
	}
	if out, ok := llm.SpliceString(b, m, alias); ok {
		return out
	}
	out, err := sjson.SetBytesOptions(b, "model", alias, inPlace)
	if err != nil {
		return b
	}
	return out
}

// record is the usage row being built for one request.
type record struct {
	usage.Record
	err        error
	keepBodies bool
}

// maxLoggedBody caps each stored body (settings.log_bodies).
const maxLoggedBody = 1 << 20

// Reject logs a request refused before it reached the gateway (a body that cannot be read or
// is not a valid request) like every other /v1 request, and returns err as an *llm.Error.
func (g *Gateway) Reject(c *Call, alias string, err error) error {
	rec := g.newRecord(c, alias, g.cfg.Load())
	defer g.finish(c, rec)
	return rec.fail(err)
}

func (g *Gateway) newRecord(c *Call, alias string, s *snapshot.Snapshot) *record {
	return &record{Record: usage.Record{
		ID: c.RequestID, Time: c.Start.UTC(), KeyID: c.Principal.KeyID(), Endpoint: c.Endpoint,
		Alias: alias, Status: http.StatusOK, ClientIP: c.ClientIP,
	}, keepBodies: s.Settings.LogBodies}
}

func (r *record) keepRequest(b []byte) {
	if r.keepBodies {
		r.RequestBody = b[:min(len(b), maxLoggedBody)]
	}
}

func (r *record) keepResponse(b []byte) {
	if r.keepBodies {
		r.ResponseBody = append([]byte(nil), b[:min(len(b), maxLoggedBody)]...)
	}
}

// keepChunk appends one stream event to the logged response, as the client received it.
func (r *record) keepChunk(chunk []byte) {
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

func (r *record) fail(err error) error {
	e := llm.AsError(err)
	r.Status, r.ErrorCode, r.ErrorMessage = e.Status, e.Code, e.Message
	r.err = e
	return e
}

func (r *record) charge(d *snapshot.Deployment, u llm.Usage, images int) {
	r.PromptTokens, r.CompletionTokens, r.CachedTokens = u.PromptTokens, u.CompletionTokens, u.CachedTokens()
	if d != nil && d.Priced {
		r.Cost = pricing.Cost(d.Price.Cost, u, images)
	}
}

// finish completes the record and hands it to the usage log.
func (g *Gateway) finish(c *Call, r *record) {
	now := g.now()
	r.LatencyMS = ms(now.Sub(c.Start))
	r.OverheadMS = c.OverheadMS(now)
	r.Attempts = c.Attempts
	if r.err != nil && r.Status >= 500 {
		g.log.Warn("request failed", "request_id", r.ID, "alias", r.Alias, "status", r.Status, "err", r.err)
	}
	if c.admitted {
		g.limits.Finish(c.Principal.Key.Key, c.estimate, r.PromptTokens+r.CompletionTokens, r.Cost)
		if g.spend != nil {
			g.spend.Charged(c.Principal.Key.Key, r.Cost, now)
		}
	}
	g.usage.Enqueue(r.Record)
}
