package gateway

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/respcache"
	"github.com/conduit-gw/conduit/internal/snapshot"
)

// ResponseCache keeps answers for repeated requests (respcache.Store): Get returns nil on a
// miss, Set never waits on I/O.
type ResponseCache interface {
	Get(ctx context.Context, key string) (*respcache.Entry, error)
	Set(ctx context.Context, key string, e *respcache.Entry, ttl time.Duration)
}

// What the response cache did for a request (Call.Cache, the x-conduit-cache header).
const (
	CacheHit    = "hit"
	CacheMiss   = "miss"
	CacheBypass = "bypass"
)

// maxCachedEntry bounds the answers kept: a larger one is served but not cached.
const maxCachedEntry = 4 << 20

// cacheSource is the request a cached answer is keyed by: the client API and its body.
type cacheSource struct {
	api    string
	raw    []byte
	stream bool
	// always: the answer does not depend on a temperature (embeddings).
	always bool
	// stateful: the answer depends on state kept between requests (a Responses API request
	// continuing a previous response): never cached.
	stateful bool
}

// cachePlan is what the cache does for one request: look key up (unless the client asked
// for no-cache) and keep the answer for ttl.
type cachePlan struct {
	key    string
	ttl    time.Duration
	lookup bool
}

// cacheFor decides whether the response cache serves the request. It returns nil when the
// cache is off for it (Call.Cache stays empty) or bypassed (Call.Cache is "bypass"). The
// cache is on when the key or the alias sets a TTL; the TTL is the smaller of the two set,
// and the request's x-conduit-cache-ttl header replaces it. Cache-Control: no-store bypasses
// the cache, no-cache skips the lookup but keeps the answer.
func (g *Gateway) cacheFor(s *snapshot.Snapshot, c *Call, alias string, src cacheSource) (*cachePlan, error) {
	if g.cache == nil {
		return nil, nil
	}
	var ac snapshot.AliasCache
	if a := s.Aliases[alias]; a != nil {
		ac = a.Cache
	}
	var keyTTL time.Duration
	if c.Principal.Key != nil {
		keyTTL = c.Principal.Key.CacheTTL
	}
	if keyTTL == 0 && ac.TTL == 0 {
		return nil, nil
	}
	c.Cache = CacheBypass
	ttl := smallerSet(keyTTL, ac.TTL)
	if c.CacheTTLHeader != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(c.CacheTTLHeader), 10, 64)
		if err != nil || n < 0 || n > MaxCacheTTLS {
			return nil, llm.Errorf(http.StatusBadRequest, "invalid_request_error", llm.CodeInvalidRequest,
				"x-conduit-cache-ttl must be a whole number of seconds from 0 to %d", MaxCacheTTLS)
		}
		ttl = time.Duration(n) * time.Second
	}
	noCache, noStore := cacheDirectives(c.CacheControlHeader)
	if noStore || ttl == 0 || src.stateful || !(src.always || ac.Nondeterministic || respcache.Deterministic(src.raw)) {
		return nil, nil
	}
	scope := c.Principal.KeyID()
	if ac.Shared {
		scope = ""
	}
	key, err := respcache.Key(respcache.Request{API: src.api, Alias: alias, Scope: scope, Stream: src.stream, Body: src.raw})
	if err != nil { // a body the cache cannot key is answered uncached
		return nil, nil
	}
	return &cachePlan{key: key, ttl: ttl, lookup: !noCache}, nil
}

// MaxCacheTTLS bounds a cache TTL in seconds (a key's or model's cache_ttl_s, the
// x-conduit-cache-ttl header): one year.
const MaxCacheTTLS = 365 * 24 * 3600

// smallerSet returns the smaller of a and b that is not 0 (0 if both are).
func smallerSet(a, b time.Duration) time.Duration {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}

// cacheDirectives reads the no-cache and no-store directives of a Cache-Control header.
func cacheDirectives(h string) (noCache, noStore bool) {
	for _, d := range strings.Split(h, ",") {
		d = strings.TrimSpace(d)
		noCache = noCache || strings.EqualFold(d, "no-cache")
		noStore = noStore || strings.EqualFold(d, "no-store")
	}
	return noCache, noStore
}

// lookup returns the cached answer of the plan, or nil (Call.Cache says which). A failing
// cache is a miss: the request goes on upstream.
func (g *Gateway) lookup(ctx context.Context, c *Call, cp *cachePlan) *respcache.Entry {
	if cp == nil || !cp.lookup {
		return nil
	}
	e, err := g.cache.Get(ctx, cp.key)
	if err != nil {
		g.log.Warn("response cache lookup failed; answering uncached", "request_id", c.RequestID, "err", err)
	}
	if e == nil {
		c.Cache = CacheMiss
		return nil
	}
	c.Cache = CacheHit
	return e
}

// serveHit answers from a cached entry: admitted against the key's rate limits (not charged
// to its budget), logged with cache_hit and the cost the answer saved. A streamed entry is
// replayed to w as the stream it was; the Result is then nil.
func (g *Gateway) serveHit(ctx context.Context, c *Call, rec *record, alias string, e *respcache.Entry, bodyBytes int, w StreamWriter) (*Result, error) {
	if !c.Principal.Allows(alias) {
		return nil, rec.fail(notAllowed(alias))
	}
	if err := g.reserve(ctx, c, bodyBytes, 0); err != nil {
		return nil, rec.fail(err)
	}
	c.Provider, c.Fallback = e.Provider, e.Fallback
	rec.ProviderID, rec.ProviderModel = e.ProviderID, e.ProviderModel
	rec.PromptTokens, rec.CompletionTokens = e.PromptTokens, e.CompletionTokens
	rec.CacheHit, rec.Saved = true, e.Cost
	rec.TTFBMS = ms(g.now().Sub(c.Start))
	if !e.Stream {
		rec.keepResponse(e.Body)
		return &Result{Body: e.Body, OverheadMS: c.OverheadMS(g.now())}, nil
	}
	if err := w.Begin(Meta{Provider: e.Provider, Fallback: e.Fallback, OverheadMS: c.OverheadMS(g.now()), Native: e.Native}); err != nil {
		return nil, rec.fail(clientGone(err))
	}
	for _, ch := range e.Chunks {
		rec.keepChunk(ch)
		if err := w.Chunk(ch); err != nil {
			return nil, rec.fail(clientGone(err))
		}
	}
	return nil, w.End(nil)
}

// remember keeps a successful answer under the plan's key, with who answered and what it
// cost (from c and rec).
func (g *Gateway) remember(ctx context.Context, c *Call, rec *record, cp *cachePlan, e *respcache.Entry) {
	if cp == nil || rec.err != nil {
		return
	}
	e.Provider, e.Fallback = c.Provider, c.Fallback
	e.ProviderID, e.ProviderModel = rec.ProviderID, rec.ProviderModel
	e.PromptTokens, e.CompletionTokens, e.Cost = rec.PromptTokens, rec.CompletionTokens, rec.Cost
	if e.Size() > maxCachedEntry {
		return
	}
	g.cache.Set(ctx, cp.key, e, cp.ttl)
}
