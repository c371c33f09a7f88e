package gateway

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/pricing"
	"github.com/conduit-gw/conduit/internal/respcache"
	"github.com/conduit-gw/conduit/internal/snapshot"
)

// A relay carries one streamed answer from an upstream to the client's StreamWriter, which
// renders the chunks in the client API's dialect (OpenAI chunks, Anthropic events, Responses
// events). It opens the stream, timing the first chunk; pumps chunks, flushing before each
// wait on the upstream; and settles once: one charge for what was delivered, one status on
// the usage row, one End. What the upstream's chunks are (chat chunks, or a native API's own
// events) is its format's business.
//
// What reached the client (sent) is kept apart from the attempt that produces it (up), so an
// attempt can end without ending the answer: a format that is a continuer carries an answer
// cut mid-stream on from another deployment (continue.go). A relay serves one request; it is
// not safe for concurrent use.
type relay struct {
	g      *Gateway
	c      *Call
	w      StreamWriter
	rec    *record
	format streamFormat
	native bool          // the chunks are a native API's events (Meta.Native)
	units  pricing.Units // what the answer is priced by besides tokens
	s      *snapshot.Snapshot
	rt     route

	up   attempt   // the upstream stream being relayed
	sent delivered // what the client received so far

	waits    bool   // up announces its waits (llm.WaitHook): chunks are flushed before them
	flushErr error  // the client went away: seen when flushing before an upstream wait
	onWait   func() // flushOnWait, bound once for a relay that serves answer after answer

	cache *cachePlan // set when a complete answer is kept in the response cache
	kept  [][]byte   // the chunks delivered, kept for the cache
}

// A streamFormat is what the relay knows of one kind of upstream stream.
type streamFormat interface {
	// open starts a stream on d.
	open(ctx context.Context, d *snapshot.Deployment) (llm.ChunkStream, error)
	// take reads one chunk: it notes the usage and text the chunk reports in sent, and returns
	// the chunk as the client gets it, naming the alias the client asked for; ok is false for
	// a chunk the client does not get. out is valid until the next take.
	take(chunk []byte, sent *delivered) (out []byte, ok bool)
	// estimate is the usage of an answer whose upstream reported none (sent.gotUsage false),
	// and whether it was counted rather than reported.
	estimate(d *snapshot.Deployment, sent *delivered) (u llm.Usage, counted bool)
	// name sets the alias the chunks name: the one that answers (a fallback's, maybe).
	name(alias string)
}

// typedFormat is a streamFormat whose chunks are the bytes of a body of a media type.
type typedFormat interface {
	contentType() string
}

// attempt is one deployment's open stream.
type attempt struct {
	d      *snapshot.Deployment
	stream llm.ChunkStream
	cancel context.CancelFunc // ends the attempt's context (its timeout_ms)
	first  []byte             // the chunk read while opening, not yet delivered
	idle   *idleWatch         // cuts the attempt when it stalls (see relay.open)
}

func (a *attempt) close() {
	a.idle.stop()
	a.stream.Close()
	a.cancel()
}

// delivered is what the client has received, as far as the relay needs to know: the usage.
// What the answer said is its format's to keep.
type delivered struct {
	usage    llm.Usage // as the upstream reported it
	gotUsage bool
}

// A releaser is a format that holds buffers for the answer until it is settled.
type releaser interface{ release() }

// run opens a stream on the planned deployments with failover until one yields a first
// chunk, then relays that stream to the end. An error returned before w.Begin was called has
// not been written anywhere.
func (r *relay) run(ctx context.Context, s *snapshot.Snapshot, rt route, plan []*snapshot.Deployment) error {
	g, c, rec := r.g, r.c, r.rec
	r.s, r.rt = s, rt
	d, err := g.try(ctx, s, c, rt, plan, r.open)
	rec.setDeployment(d)
	if err != nil {
		return rec.fail(err)
	}
	defer func() { r.up.close() }()
	r.format.name(c.answeredBy(d, rt.alias))
	if cf, ok := r.format.(continuer); ok {
		cf.plan(prefillAfter(plan, d))
	}
	m := Meta{Provider: c.Provider, Fallback: c.Fallback, OverheadMS: c.OverheadMS(g.now()), Native: r.native}
	if t, ok := r.format.(typedFormat); ok {
		m.ContentType = t.contentType()
	}
	if err := r.w.Begin(m); err != nil {
		return rec.fail(clientGone(err)) // nothing delivered, nothing charged
	}
	rec.TTFBMS = ms(g.now().Sub(c.Start))
	return r.settle(r.pump(ctx))
}

// open starts a stream on d and reads its first chunk (an attemptFn). The first chunk has its
// own limit, shorter than the whole attempt's; from the first chunk on, the same watch cuts
// the stream when it stays quiet past the idle limit.
func (r *relay) open(ctx context.Context, d *snapshot.Deployment) error {
	actx, cancel := context.WithCancel(ctx)
	t0 := r.g.now()
	ttfb := firstTokenLimit(d)
	watch := newIdleWatch(ttfb, d.Provider.Timeout, cancel)
	stream, first, err := r.firstChunk(actx, d)
	if err != nil {
		watch.stop()
		cancel()
		switch {
		case ctx.Err() != nil:
		case watch.expired.Load() || isTimeout(ctx, err):
			return timeoutError(d, r.g.now().Sub(t0))
		case watch.stalled.Load():
			return llm.UpstreamTimeout("provider "+d.Provider.Name+" sent nothing within "+ttfb.String(), nil).Retry()
		}
		return err
	}
	watch.retarget(idleLimit(d))
	r.up = attempt{d: d, stream: stream, cancel: cancel, first: first, idle: watch}
	return nil
}

// firstChunk opens d's stream and reads its first chunk. Nothing reached the client yet, so a
// stream that fails or ends before its first chunk leaves the answer to another attempt.
func (r *relay) firstChunk(ctx context.Context, d *snapshot.Deployment) (llm.ChunkStream, []byte, error) {
	stream, err := r.format.open(ctx, d)
	if err != nil {
		return nil, nil, err
	}
	first, err := stream.Next()
	if err == nil {
		return stream, first, nil
	}
	stream.Close()
	if errors.Is(err, io.EOF) {
		return nil, nil, llm.Upstream("provider "+d.Provider.Name+" sent an empty stream", nil).Retry()
	}
	return nil, nil, failedBeforeFirstChunk(err)
}

// pump relays the open stream until it ends. It returns nil at the upstream's clean end, a
// client_closed error when the client went away, and the upstream's failure otherwise; a
// stream quiet for longer than the idle limit is cut and reported as stalled.
func (r *relay) pump(ctx context.Context) error {
	idle := r.up.idle
	defer func() { idle.stop() }()
	r.flushBeforeWaits()
	chunk := r.up.first
	for {
		if err := r.deliver(chunk); err != nil {
			return clientGone(err)
		}
		var err error
		chunk, err = r.up.stream.Next()
		idle.touch()
		if r.flushErr != nil { // the client went away while the relay waited
			return clientGone(r.flushErr)
		}
		if err == nil {
			continue
		}
		if !r.sent.gotUsage {
			// Counting tokens takes a while: what was received goes to the client first.
			if ferr := r.w.Flush(); ferr != nil {
				return clientGone(ferr)
			}
		}
		r.c.noteSkipped(r.up.d, r.up.stream)
		if errors.Is(err, io.EOF) {
			return nil
		}
		e := r.failure(ctx, err, idle)
		cf, ok := r.format.(continuer)
		switch {
		case e.Code == llm.CodeClientClosed:
			return e
		case !ok:
			r.c.cutAttempt(r.up.d, e) // not continued: logged where it broke
			return e
		case cf.complete():
			// Ended without its end marker, but after its finish reason: complete, and closed
			// for the client as its upstream would have.
			for _, ev := range cf.closing() {
				if err := r.write(ev); err != nil {
					return clientGone(err)
				}
			}
			return nil
		case !cf.continueAfter(ctx, r, e):
			return e
		}
		// The same answer goes on from another deployment.
		idle.stop()
		idle = r.up.idle
		r.flushBeforeWaits()
		chunk = r.up.first
	}
}

// flushBeforeWaits makes chunks already received go out together: they are written
// unflushed and flushed before each wait on the upstream. A stream that cannot say when it
// waits is flushed chunk by chunk.
func (r *relay) flushBeforeWaits() {
	hook, ok := r.up.stream.(llm.WaitHook)
	r.waits = ok
	if ok {
		if r.onWait == nil {
			r.onWait = r.flushOnWait
		}
		hook.BeforeWait(r.onWait)
	}
}

// flushOnWait flushes what was written before the relay waits on the upstream.
func (r *relay) flushOnWait() {
	if r.flushErr == nil {
		r.flushErr = r.w.Flush()
	}
}

// deliver writes one chunk to the client as its format says. An error means the client went
// away.
func (r *relay) deliver(chunk []byte) error {
	chunk, ok := r.format.take(chunk, &r.sent)
	if !ok {
		return nil
	}
	return r.write(chunk)
}

// write writes one chunk, as the client gets it, to the client. An error means the client
// went away.
func (r *relay) write(chunk []byte) error {
	r.rec.keepChunk(chunk)
	if r.cache != nil {
		r.kept = append(r.kept, bytes.Clone(chunk))
	}
	err := r.w.Chunk(chunk)
	if err == nil && !r.waits {
		err = r.w.Flush()
	}
	return cmp.Or(err, r.flushErr)
}

// failure names why the upstream stream broke: the client left, the stream stalled past the
// idle limit, the attempt ran out of time, or the upstream's own error.
func (r *relay) failure(ctx context.Context, err error, idle *idleWatch) *llm.Error {
	switch {
	case ctx.Err() != nil:
		return clientGone(ctx.Err())
	case idle.expired.Load() || isTimeout(ctx, err):
		return timeoutError(r.up.d, r.g.now().Sub(r.c.Start))
	case idle.stalled.Load():
		return llm.UpstreamTimeout("provider "+r.up.d.Provider.Name+" stream stalled: nothing for "+idle.limit.String(), nil)
	}
	return llm.AsError(err)
}

// settle ends the answer once. The usage row is charged for what was delivered; an answer
// the upstream broke costs nothing and ends with an error event, never the clean end, so the
// client cannot take it as complete. A client that went away is charged for what it
// received, and nothing more is written.
func (r *relay) settle(err error) error {
	r.rec.charge(r.up.d, r.usage(), r.units)
	if rl, ok := r.format.(releaser); ok {
		rl.release()
	}
	if err == nil {
		if r.cache != nil {
			r.g.remember(context.Background(), r.c, r.rec, r.cache, &respcache.Entry{Stream: true, Native: r.native, Chunks: r.kept})
		}
		return r.w.End(nil)
	}
	e := r.rec.fail(err)
	if e.Status == llm.StatusClientClosed {
		return e
	}
	r.rec.Cost = 0
	_ = r.w.End(e)
	return nil // the error is in the stream: nothing more to send
}

// usage is the answer's usage as the upstream reported it or, when it reported none, as its
// format estimates it (a counted estimate marks the row).
func (r *relay) usage() llm.Usage {
	if r.sent.gotUsage {
		return r.sent.usage
	}
	u, counted := r.format.estimate(r.up.d, &r.sent)
	r.rec.Estimated = counted
	return u
}
