// Package gateway is the request use case, independent of HTTP: authenticate, authorize,
// limit, route, call the provider, account usage.
package gateway

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/keys"
	"github.com/conduit-gw/conduit/internal/limits"
	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/pricing"
	"github.com/conduit-gw/conduit/internal/router"
	"github.com/conduit-gw/conduit/internal/snapshot"
	"github.com/conduit-gw/conduit/internal/tokens"
	"github.com/conduit-gw/conduit/internal/usage"
	"github.com/conduit-gw/conduit/internal/wait"
)

// MasterKeyID is the key_id logged for requests made with the master key.
const MasterKeyID = "master"

// Snapshots yields the current configuration.
type Snapshots interface {
	Load() *snapshot.Snapshot
}

// Limits admits requests against a key's budget and rate limits and accounts them after.
type Limits interface {
	Admit(ctx context.Context, k config.Key, promptEstimate int, estCost float64) (limits.Decision, error)
	// Finish returns the key's spend in its budget period, this request's cost included.
	Finish(ctx context.Context, k config.Key, estimate, tokens int, cost float64) float64
}

// SpendObserver is told of every charge to a virtual key (budget alerts, anomaly detection):
// its cost, and the key's spend in its budget period after it.
type SpendObserver interface {
	Charged(k config.Key, cost, spend float64, at time.Time)
}

// KeyLookup finds a key this instance does not know in the store, reporting whether the
// configuration holds it afterwards (keys.Recheck: bounded, shared by concurrent callers).
type KeyLookup interface {
	Lookup(ctx context.Context, hash [32]byte) bool
}

// UsageLog receives one record per request without blocking.
type UsageLog interface {
	Enqueue(usage.Record) bool
}

// Options configure a Gateway.
type Options struct {
	Config    Snapshots
	Router    *router.Router
	Usage     UsageLog
	Limits    Limits
	Spend     SpendObserver // optional
	KeyLookup KeyLookup     // optional: unknown keys are refused without one
	Cache     ResponseCache // optional: without it the response cache is off
	MasterKey string
	Logger    *slog.Logger
	Now       func() time.Time
	// Sleep waits for d or until ctx ends (tests inject a fake).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Gateway serves client requests. It is safe for concurrent use.
type Gateway struct {
	cfg        Snapshots
	router     *router.Router
	usage      UsageLog
	limits     Limits
	spend      SpendObserver
	keyLookup  KeyLookup
	cache      ResponseCache
	tokens     tokens.Counter
	masterHash [32]byte
	log        *slog.Logger
	now        func() time.Time
	sleep      func(ctx context.Context, d time.Duration) error
	seenBufs   sync.Pool // *[]byte: buffers of the chunks streamed chat answers keep (chatseen.go)
	chatRelays sync.Pool // *chatRelay of settled answers
	// nativeRelays holds the *nativeRelay of settled native Responses and completions answers.
	nativeRelays sync.Pool
}

// New returns a Gateway.
func New(o Options) *Gateway {
	g := &Gateway{cfg: o.Config, router: o.Router, usage: o.Usage, limits: o.Limits, spend: o.Spend, keyLookup: o.KeyLookup, cache: o.Cache, log: o.Logger, now: o.Now, sleep: o.Sleep}
	g.masterHash = keys.Hash(o.MasterKey)
	if g.log == nil {
		g.log = slog.Default()
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.sleep == nil {
		g.sleep = wait.Sleep
	}
	return g
}

// Principal is who makes a request: a virtual key, or the master key (Key == nil).
type Principal struct {
	Key *snapshot.Key
}

// KeyID is the id logged for the principal.
func (p Principal) KeyID() string {
	if p.Key == nil {
		return MasterKeyID
	}
	return p.Key.ID
}

// Allows reports whether the principal may use alias.
func (p Principal) Allows(alias string) bool { return p.Key == nil || p.Key.Allows(alias) }

// Authenticate resolves a bearer token from memory. Master and virtual keys are both looked
// up by their SHA-256, so no comparison depends on a secret's bytes. A key not in memory is
// looked up in the store (KeyLookup) before it is refused: it may have been created on
// another instance a moment ago.
func (g *Gateway) Authenticate(ctx context.Context, token string) (Principal, error) {
	if token == "" {
		return Principal{}, llm.Errorf(http.StatusUnauthorized, "invalid_request_error", llm.CodeInvalidAPIKey,
			"You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.")
	}
	h := keys.Hash(token)
	if subtle.ConstantTimeCompare(h[:], g.masterHash[:]) == 1 {
		return Principal{}, nil
	}
	k := g.cfg.Load().Keys[h]
	if k == nil && g.keyLookup != nil && g.keyLookup.Lookup(ctx, h) {
		k = g.cfg.Load().Keys[h]
	}
	if k == nil {
		return Principal{}, llm.Errorf(http.StatusUnauthorized, "invalid_request_error", llm.CodeInvalidAPIKey,
			"Incorrect API key provided.")
	}
	if !k.Enabled {
		return Principal{}, llm.Errorf(http.StatusUnauthorized, "invalid_request_error", llm.CodeKeyDisabled,
			"This API key is disabled.")
	}
	if k.ExpiresAt != nil && !g.now().Before(*k.ExpiresAt) {
		return Principal{}, llm.Errorf(http.StatusUnauthorized, "invalid_request_error", llm.CodeKeyExpired,
			"This API key expired at %s.", k.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return Principal{Key: k}, nil
}

// Models lists the aliases the principal may use.
func (g *Gateway) Models(p Principal) []string {
	s := g.cfg.Load()
	out := make([]string, 0, len(s.AliasNames))
	for _, a := range s.AliasNames {
		if p.Allows(a) {
			out = append(out, a)
		}
	}
	return out
}

// Call carries one request's identity and timing through the gateway.
type Call struct {
	RequestID string
	Principal Principal
	ClientIP  string
	Endpoint  string
	Start     time.Time
	// Span is the request's server span, started by the HTTP face; nil when tracing is off.
	// The gateway adds a child span per upstream attempt and sets the outcome on it.
	Span trace.Span
	// Cache is the response cache's verdict on the request (CacheHit, CacheMiss,
	// CacheBypass); empty when it is off for the request.
	Cache string
	// The client's Cache-Control and x-conduit-cache-ttl headers (empty: not sent), read
	// when the response cache is on for the request.
	CacheControlHeader, CacheTTLHeader string

	// Set by the gateway as the call proceeds.
	Provider  string          // name of the provider that answered (or was last tried)
	Fallback  string          // the fallback alias that answered; empty when the alias asked for did
	RateLimit limits.Decision // the key's request limit state, for x-ratelimit-* headers
	Attempts  int
	estimate  int // prompt tokens counted against TPM at admission
	admitted  bool
	upstream  time.Duration // time spent waiting on providers and back-off
	// attemptLog lists the upstream calls once one failed (nil while none did).
	attemptLog []usage.Attempt
	// With tracing on: the span of the attempt that answered, open until the request
	// finishes, and why the last failed attempt failed (the next one's retry reason).
	answerSpan  trace.Span
	retryReason string
}

// answeredBy notes that d answered a request for alias and returns the alias to name in the
// answer: the one asked for, or the fallback alias whose deployment answered.
func (c *Call) answeredBy(d *snapshot.Deployment, alias string) string {
	if d.Alias != alias {
		c.Fallback = d.Alias
		return d.Alias
	}
	return alias
}

// OverheadMS is the time spent inside Conduit so far, upstream time excluded.
func (c *Call) OverheadMS(now time.Time) float64 {
	d := now.Sub(c.Start) - c.upstream
	if d < 0 {
		d = 0
	}
	return float64(d) / float64(time.Millisecond)
}

// Result is a complete answer ready for the client.
type Result struct {
	Body []byte
	// ContentType is the body's media type when it is not JSON.
	ContentType string
	OverheadMS  float64
}

// Meta is sent to a StreamWriter before the first chunk.
type Meta struct {
	Provider   string
	Fallback   string // the fallback alias that answers, if not the one asked for
	OverheadMS float64
	// Native: the chunks are the upstream's own Responses API events, not chat chunks.
	Native bool
	// ContentType, when set, says the chunks are the bytes of a body of that type (audio),
	// not events.
	ContentType string
}

// StreamWriter receives a streamed answer. Begin is called once before the first chunk; End
// closes the stream: cleanly when err is nil, with an error event otherwise.
//
// Chunk writes without flushing; the gateway calls Flush when the chunk must reach the client
// (before waiting on the upstream), and End flushes.
type StreamWriter interface {
	Begin(Meta) error
	Chunk(data []byte) error
	Flush() error
	End(err error) error
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// admit runs the key's budget and rate limit checks (virtual keys only). The expected cost,
// reserved against the budget while the request runs, is priced at the first planned
// deployment from the body size and the expected output tokens.
func (g *Gateway) admit(ctx context.Context, c *Call, bodyBytes int, d *snapshot.Deployment, outTokens int, n pricing.Units) error {
	if c.Principal.Key == nil || g.limits == nil {
		return nil
	}
	var cost float64
	if d.Priced {
		cost = pricing.Cost(d.Price.Cost, llm.Usage{PromptTokens: bodyBytes/4 + 1, CompletionTokens: outTokens}, n)
	}
	return g.reserve(ctx, c, bodyBytes, cost)
}

// reserve admits the request against the key's budget (reserving cost while it runs) and
// rate limits; the prompt counted against TPM is estimated from the body size.
func (g *Gateway) reserve(ctx context.Context, c *Call, bodyBytes int, cost float64) error {
	if c.Principal.Key == nil || g.limits == nil {
		return nil
	}
	c.estimate = bodyBytes/4 + 1
	dec, err := g.limits.Admit(ctx, c.Principal.Key.Key, c.estimate, cost)
	c.RateLimit = dec
	if err != nil {
		return err
	}
	c.admitted = true
	return nil
}
