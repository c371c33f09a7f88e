package gateway

import (
	"bytes"
	"context"
	"net/http"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/pricing"
	"github.com/conduit-gw/conduit/internal/providers"
	"github.com/conduit-gw/conduit/internal/respcache"
	"github.com/conduit-gw/conduit/internal/router"
	"github.com/conduit-gw/conduit/internal/snapshot"
)

// Client APIs that some providers serve natively.
const (
	APIResponses = "responses" // OpenAI's Responses API (providers.ResponsesAPI)
	APIMessages  = "messages"  // Anthropic's Messages API (providers.MessagesAPI)
	// APICompletions is OpenAI's legacy text completions (providers.Completer); its stream's
	// usage chunk reaches the client only when it asked for it (WantsUsage).
	APICompletions = "completions"
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
	// WantsUsage: the client asked for a stream's usage chunk (completions).
	WantsUsage bool
	// MaxOutputTokens sizes the budget reservation (0: unknown).
	MaxOutputTokens int
	// Vision and Tools: the request holds images or offers tools, which a deployment must
	// support.
	Vision, Tools bool
	// Translate returns the request translated to chat for every other deployment, or why it
	// has no translation (a 400 naming what only native deployments serve). It is called only
	// when the chat translation is needed, so a request served natively never pays for it;
	// nil means no translation.
	Translate func() (*llm.ChatRequest, error)
	// Stateful: the answer depends on state kept between requests (previous_response_id),
	// so the response cache never serves or keeps it.
	Stateful bool
}

// chat returns the request's chat translation.
func (r *NativeRequest) chat() (*llm.ChatRequest, error) {
	if r.Translate == nil {
		return nil, llm.InvalidRequest("model", "the deployments of "+r.Model+" do not serve this API")
	}
	return r.Translate()
}

// Native serves a request of a client API some providers speak. When every deployment of
// the alias (and of its fallbacks) serves req.API, the request goes to them natively and
// native is true: the Result body, or each streamed chunk, is the upstream's own JSON in that
// API. Otherwise the chat translation is routed like any chat request, and the body or chunks
// are chat JSON.
func (g *Gateway) Native(ctx context.Context, c *Call, req *NativeRequest, w StreamWriter) (res *Result, native bool, err error) {
	s := g.cfg.Load()
	src := cacheSource{api: req.API, raw: req.Raw, stream: req.Stream, stateful: req.Stateful}
	if !servesNatively(s, req.API, req.Model) {
		chat, err := req.chat()
		if err != nil {
			return nil, false, g.Reject(ctx, c, req.Model, err)
		}
		res, err := g.chat(ctx, c, chat, w, src)
		return res, false, err
	}
	rec := g.newRecord(c, req.Model, s)
	rec.Stream = req.Stream
	rec.keepRequest(req.Raw)
	defer g.finish(ctx, c, rec)
	cp, err := g.cacheFor(s, c, req.Model, src)
	if err != nil {
		return nil, true, rec.fail(err)
	}
	if e := g.lookup(ctx, c, cp); e != nil {
		res, err := g.serveHit(ctx, c, rec, req.Model, e, len(req.Raw), w)
		return res, e.Native, err
	}
	needs := router.Needs{Streaming: req.Stream, Vision: req.Vision, Tools: req.Tools}
	out := 256
	if req.MaxOutputTokens > 0 {
		out = min(req.MaxOutputTokens, 4096)
	}
	rt := route{alias: req.Model, needs: needs}
	plan, err := g.plan(ctx, s, c, rt, len(req.Raw), out, pricing.Units{})
	if err != nil {
		return nil, true, rec.fail(err)
	}
	if req.Stream {
		return nil, true, g.streamNative(ctx, s, c, req, w, rt, plan, rec, cp)
	}
	d, resp, err := g.answer(ctx, s, c, rt, plan, func(ctx context.Context, d *snapshot.Deployment) (*llm.Response, error) {
		return callNative(ctx, req, d)
	})
	rec.setDeployment(d)
	if err != nil {
		return nil, true, rec.fail(err)
	}
	body := setModel(resp.Body, c.answeredBy(d, req.Model))
	rec.keepResponse(body)
	rec.charge(d, resp.Usage, pricing.Units{})
	rec.TTFBMS = ms(g.now().Sub(c.Start))
	if cp != nil {
		g.remember(ctx, c, rec, cp, &respcache.Entry{Native: true, Body: body})
	}
	return &Result{Body: body, OverheadMS: c.OverheadMS(g.now())}, true, nil
}

// streamNative relays a native stream (see relay). The relay of a Responses or completions
// answer and its format come from a pool, so the buffer the events are rewritten in serves
// the answers after it.
func (g *Gateway) streamNative(ctx context.Context, s *snapshot.Snapshot, c *Call, req *NativeRequest, w StreamWriter,
	rt route, plan []*snapshot.Deployment, rec *record, cp *cachePlan) error {
	if req.API == APIMessages {
		r := &relay{g: g, c: c, w: w, rec: rec, format: nativeFormat(g, req), native: true, cache: cp}
		return r.run(ctx, s, rt, plan)
	}
	nr, _ := g.nativeRelays.Get().(*nativeRelay)
	if nr == nil {
		nr = &nativeRelay{}
	}
	nr.format = nativeStream{req: req, alias: req.Model, modelBuf: nr.format.modelBuf[:0]}
	nr.relay = relay{g: g, c: c, w: w, rec: rec, format: &nr.format, native: true, cache: cp}
	err := nr.run(ctx, s, rt, plan)
	// Settled: nothing refers to the relay any more (the upstream stream is closed, what the
	// client got was copied out). Its buffer serves the next answer, unless an outsized event
	// grew it.
	buf := nr.format.modelBuf[:0]
	if cap(buf) > maxKeptBuf {
		buf = nil
	}
	nr.relay, nr.format = relay{}, nativeStream{modelBuf: buf}
	g.nativeRelays.Put(nr)
	return err
}

// maxKeptBuf bounds a buffer a pooled relay keeps for the next answer.
const maxKeptBuf = 64 << 10

// nativeRelay is a relay with its native stream format, in one allocation that is used again.
type nativeRelay struct {
	relay
	format nativeStream
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
			case APICompletions:
				_, ok = d.Provider.Adapter.(providers.Completer)
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
	switch req.API {
	case APIMessages:
		return d.Provider.Adapter.(providers.MessagesAPI).Messages(ctx, req.Raw, d.ProviderModel, req.Header)
	case APICompletions:
		return d.Provider.Adapter.(providers.Completer).Completions(ctx, req.Raw, d.ProviderModel)
	}
	return d.Provider.Adapter.(providers.ResponsesAPI).Responses(ctx, req.Raw, d.ProviderModel)
}

func openNative(ctx context.Context, req *NativeRequest, d *snapshot.Deployment) (llm.ChunkStream, error) {
	switch req.API {
	case APIMessages:
		return d.Provider.Adapter.(providers.MessagesAPI).MessagesStream(ctx, req.Raw, d.ProviderModel, req.Header)
	case APICompletions:
		return d.Provider.Adapter.(providers.Completer).CompletionsStream(ctx, req.Raw, d.ProviderModel)
	}
	return d.Provider.Adapter.(providers.ResponsesAPI).ResponsesStream(ctx, req.Raw, d.ProviderModel)
}

// nativeStream is the format of a native API's stream: its own events, relayed with the
// model set to the alias. Usage is what the events report: a Responses stream's terminal
// event carries the whole usage; a Messages stream's message_start the input tokens, its
// message_delta the output tokens.
type nativeStream struct {
	req      *NativeRequest
	alias    string // the alias the events name: the one that answers
	modelBuf []byte // events with the model rewritten, one buffer for the whole answer
	stopped  bool   // a Messages stream's message_delta, with the stop reason, was delivered
}

func (f *nativeStream) name(alias string) { f.alias = alias }

func (f *nativeStream) open(ctx context.Context, d *snapshot.Deployment) (llm.ChunkStream, error) {
	return openNative(ctx, f.req, d)
}

// nativeEvent is what the relay needs from one event of a native stream, read in one pass
// over its top-level keys, in place (valid until the stream's next read).
type nativeEvent struct {
	typ     string
	object  gjson.Result // the "response" (Responses) or "message" (Messages) object
	model   gjson.Result // the event's own "model" (completions)
	usage   gjson.Result // the event's own "usage" (Messages, completions)
	choices bool         // a non-empty "choices" array (completions)
}

func (f *nativeStream) inspect(ev []byte) nativeEvent {
	objKey := obj(f.req.API)
	var e nativeEvent
	llm.InPlace(ev).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			e.typ = v.Str
		case objKey:
			e.object = v
		case "model":
			e.model = v
		case "usage":
			e.usage = v
		case "choices":
			e.choices = v.IsArray() && v.Get("0").Exists()
		}
		return true
	})
	return e
}

func (f *nativeStream) take(ev []byte, sent *delivered) ([]byte, bool) {
	if f.req.API == APIResponses {
		return f.takeResponses(ev, sent), true
	}
	e := f.inspect(ev)
	if f.req.API == APICompletions {
		if e.usage.IsObject() {
			if pu := llm.ParseUsageResult(e.usage); pu.PromptTokens+pu.CompletionTokens > 0 {
				sent.usage, sent.gotUsage = pu, true
			}
		}
		// The usage chunk Conduit asked for reaches the client only if it asked too.
		return f.aliased(ev, e.model, "model"), f.req.WantsUsage || e.choices
	}
	// Whatever the events report is the usage: nothing is counted.
	sent.gotUsage = true
	u := &sent.usage
	switch e.typ {
	case "message_start":
		*u = llm.ParseMessagesUsage(e.object.Get("usage"))
	case "message_delta":
		f.stopped = true
		if out := e.usage.Get("output_tokens"); out.Exists() {
			u.CompletionTokens = int(out.Int())
			u.TotalTokens = u.PromptTokens + u.CompletionTokens
		}
	}
	if m := e.object.Get("model"); m.Exists() {
		return f.aliased(ev, m, obj(f.req.API)+".model"), true
	}
	return ev, true
}

// responseKey is in every Responses event that carries the response object: the
// response-level events (response.created, .in_progress, .completed…), the only ones that
// name the model, and the terminal one the usage.
var responseKey = []byte(`"response"`)

// subEventPrefix begins a Responses event as OpenAI sends it, type first.
var subEventPrefix = []byte(`{"type":"response.`)

// responseEvent reports whether a Responses event may carry the response object, and
// whether it may be a terminal event (response.completed, .incomplete or .failed), the one
// that reports the usage. An event whose type, first as OpenAI sends it, names a part of the
// response (response.X.Y: item, part, delta and tool call events) carries nothing; one of
// another response-level type is no terminal event; any other is searched for its key and
// read in full.
func responseEvent(ev []byte) (carries, terminal bool) {
	if rest, ok := bytes.CutPrefix(ev, subEventPrefix); ok {
		if end := bytes.IndexByte(rest, '"'); end >= 0 && bytes.IndexByte(rest[:end], '\\') < 0 {
			switch name := rest[:end]; {
			case bytes.IndexByte(name, '.') >= 0:
				return false, false
			case string(name) != "completed" && string(name) != "incomplete" && string(name) != "failed":
				return bytes.Contains(ev, responseKey), false
			}
		}
	}
	return bytes.Contains(ev, responseKey), true
}

// takeResponses passes a Responses event on. An event without the response object (every
// item, part and delta event) passes as it is, without being read past its type; the others
// name the alias, and the terminal one reports the usage.
func (f *nativeStream) takeResponses(ev []byte, sent *delivered) []byte {
	sent.gotUsage = true // whatever the events report is the usage: nothing is counted
	carries, terminal := responseEvent(ev)
	if !carries {
		return ev
	}
	// The model comes early in the response object, and is found without reading the rest;
	// the usage, at its end, is read only in the event that reports it.
	root := llm.InPlace(ev)
	model := root.Get("response.model")
	if terminal {
		if usage := root.Get("response.usage"); usage.IsObject() {
			sent.usage = llm.ParseResponsesUsage(usage)
		}
	}
	if !model.Exists() {
		return ev
	}
	return f.aliased(ev, model, "response.model")
}

// aliased returns ev naming the alias that answers as its model: model, found in ev at
// path, is replaced where it names another (and set at path where it is missing).
func (f *nativeStream) aliased(ev []byte, model gjson.Result, path string) []byte {
	if model.Exists() {
		if model.Str == f.alias {
			return ev
		}
		if out, ok := llm.AppendSplice(f.modelBuf[:0], ev, model, f.alias); ok {
			f.modelBuf = out
			return out
		}
	}
	if out, err := sjson.SetBytes(ev, path, f.alias); err == nil {
		return out
	}
	return ev
}

// obj is the key of the object a native API's events carry: "message" in the Messages
// API, "response" in the Responses API.
func obj(api string) string {
	if api == APIMessages {
		return "message"
	}
	return "response"
}

// estimate is not needed: take marks the usage reported from the first event on.
func (f *nativeStream) estimate(_ *snapshot.Deployment, sent *delivered) (llm.Usage, bool) {
	return sent.usage, false
}

// CountTokens counts the input tokens of a Messages request (req.API is APIMessages): exactly
// by the first planned deployment whose provider counts them, else with the local tokenizer
// over the chat translation (estimated is then true). Nothing is charged.
func (g *Gateway) CountTokens(ctx context.Context, c *Call, req *NativeRequest) (n int, estimated bool, err error) {
	s := g.cfg.Load()
	rec := g.newRecord(c, req.Model, s)
	defer g.finish(ctx, c, rec)
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
	chat, err := req.chat()
	if err != nil {
		return 0, false, rec.fail(err)
	}
	if err := chat.Decode(); err != nil {
		return 0, false, rec.fail(err)
	}
	n = g.tokens.Prompt(d.ProviderModel, chat)
	rec.PromptTokens, rec.Estimated = n, true
	return n, true, nil
}

var _ streamFormat = (*nativeStream)(nil)
