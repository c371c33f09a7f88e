package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/fakeclock"
	"github.com/conduit-gw/conduit/internal/limits"
	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/pricing"
	"github.com/conduit-gw/conduit/internal/respcache"
	"github.com/conduit-gw/conduit/internal/router"
	"github.com/conduit-gw/conduit/internal/snapshot"
)

// countingAdapter answers every chat, whole or streamed, and counts the upstream calls.
type countingAdapter struct{ calls atomic.Int64 }

func (a *countingAdapter) Chat(context.Context, *llm.ChatRequest, string) (*llm.Response, error) {
	n := a.calls.Add(1)
	body := `{"id":"r` + string(rune('0'+n)) + `","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`
	return &llm.Response{Body: []byte(body), Usage: llm.Usage{PromptTokens: 5, CompletionTokens: 2, TotalTokens: 7}}, nil
}

func (a *countingAdapter) ChatStream(context.Context, *llm.ChatRequest, string) (llm.ChunkStream, error) {
	a.calls.Add(1)
	return &scriptedStream{chunks: []string{chunkHi, chunkThere, chunkUsage}, err: io.EOF}, nil
}

// brokenCache fails every lookup and drops every write.
type brokenCache struct{ sets atomic.Int64 }

func (*brokenCache) Get(context.Context, string) (*respcache.Entry, error) {
	return nil, errors.New("cache down")
}

func (b *brokenCache) Set(context.Context, string, *respcache.Entry, time.Duration) { b.sets.Add(1) }

func ptr[T any](v T) *T { return &v }

type cacheEnv struct {
	g     *Gateway
	up    *countingAdapter
	log   *usageRows
	keyA  *snapshot.Key
	keyB  *snapshot.Key
	clock *fakeclock.Clock
}

// newCacheEnv is a gateway over one priced deployment of alias "chat" whose rows set
// aliasTTL (nil: none) and two keys with keyTTL, caching in cache (nil: in memory).
func newCacheEnv(t *testing.T, keyTTL, aliasTTL *int, cache ResponseCache) *cacheEnv {
	t.Helper()
	e := &cacheEnv{up: &countingAdapter{}, log: &usageRows{}, clock: fakeclock.New(time.Unix(1_700_000_000, 0))}
	p := &snapshot.Provider{Provider: config.Provider{ID: "p1", Name: "up", Type: "openai", Enabled: true},
		Adapter: e.up, Timeout: time.Minute}
	d := &snapshot.Deployment{Deployment: config.Deployment{ID: "d1", Alias: "chat", ProviderID: "p1",
		ProviderModel: "gpt-4o-mini", Enabled: true, CacheTTLS: aliasTTL}, Provider: p, Priced: true,
		Price: pricing.Row{Cost: config.Cost{InputPerMTok: 1_000_000, OutputPerMTok: 1_000_000}}}
	a := &snapshot.Alias{Name: "chat", Deployments: []*snapshot.Deployment{d}}
	a.Cache = snapshot.AliasCache{}
	if aliasTTL != nil {
		a.Cache.TTL = time.Duration(*aliasTTL) * time.Second
	}
	e.keyA = snapshot.NewKey(config.Key{ID: "key_a", Enabled: true, CacheTTLS: keyTTL})
	e.keyB = snapshot.NewKey(config.Key{ID: "key_b", Enabled: true, CacheTTLS: keyTTL})
	s := &snapshot.Snapshot{Providers: map[string]*snapshot.Provider{"p1": p},
		Aliases: map[string]*snapshot.Alias{"chat": a}}
	if cache == nil {
		cache = respcache.NewMemory(1<<20, e.clock.Now)
	}
	e.g = New(Options{Config: fixed{s}, Router: router.New(time.Now, 1), Usage: e.log, Cache: cache,
		Logger: slog.New(slog.DiscardHandler), Now: e.clock.Now})
	return e
}

type cacheReply struct {
	body  string // the JSON answer, or the streamed chunks joined by newlines
	cache string // Call.Cache
	err   error
}

// chat sends a chat request as key (nil: the master key).
func (e *cacheEnv) chat(t *testing.T, key *snapshot.Key, body string, stream bool, hdr ...string) cacheReply {
	t.Helper()
	if stream {
		body = strings.Replace(body, "{", `{"stream":true,`, 1)
	}
	req, err := llm.ParseChatRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	c := &Call{RequestID: "r", Principal: Principal{Key: key}, Start: e.clock.Now()}
	if len(hdr) > 0 {
		c.CacheControlHeader = hdr[0]
	}
	if len(hdr) > 1 {
		c.CacheTTLHeader = hdr[1]
	}
	w := &recordingWriter{}
	res, err := e.g.Chat(context.Background(), c, req, w)
	r := cacheReply{cache: c.Cache, err: err}
	if res != nil {
		r.body = string(res.Body)
	} else {
		r.body = strings.Join(w.chunks, "\n")
	}
	return r
}

const cacheChat = `{"model":"chat","messages":[{"role":"user","content":"Say hi"}],"temperature":0}`

func TestCacheAnswersRepeatsOnce(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(map[bool]string{false: "json", true: "stream"}[stream], func(t *testing.T) {
			e := newCacheEnv(t, ptr(60), nil, nil)
			first := e.chat(t, e.keyA, cacheChat, stream)
			second := e.chat(t, e.keyA, cacheChat, stream)
			if first.err != nil || second.err != nil {
				t.Fatal(first.err, second.err)
			}
			if n := e.up.calls.Load(); n != 1 {
				t.Errorf("%d upstream calls, want 1", n)
			}
			if first.cache != CacheMiss || second.cache != CacheHit {
				t.Errorf("cache = %q then %q, want miss then hit", first.cache, second.cache)
			}
			if first.body != second.body || first.body == "" {
				t.Errorf("the hit answered\n%s\nthe miss\n%s", second.body, first.body)
			}
			rows := e.log.rows
			if len(rows) != 2 {
				t.Fatalf("%d usage rows, want 2", len(rows))
			}
			miss, hit := rows[0], rows[1]
			if miss.CacheHit || miss.Cost <= 0 || miss.Saved != 0 {
				t.Errorf("miss row: hit %v cost %v saved %v", miss.CacheHit, miss.Cost, miss.Saved)
			}
			if !hit.CacheHit || hit.Cost != 0 || hit.Saved != miss.Cost || hit.PromptTokens != miss.PromptTokens ||
				hit.ProviderID != "p1" {
				t.Errorf("hit row: hit %v cost %v saved %v (miss cost %v), tokens %d, provider %q",
					hit.CacheHit, hit.Cost, hit.Saved, miss.Cost, hit.PromptTokens, hit.ProviderID)
			}
		})
	}
}

func TestCachePolicy(t *testing.T) {
	tests := []struct {
		name             string
		keyTTL, alias    *int
		body             string
		hdr              []string
		want             []string // Call.Cache of each of two requests
		upstream         int64
		nondeterministic bool
	}{
		{name: "off", body: cacheChat, want: []string{"", ""}, upstream: 2},
		{name: "on by the alias", alias: ptr(60), body: cacheChat, want: []string{"miss", "hit"}, upstream: 1},
		{name: "no-cache skips the lookup but stores", keyTTL: ptr(60), body: cacheChat, hdr: []string{"no-cache"},
			want: []string{"bypass", "bypass"}, upstream: 2},
		{name: "no-store", keyTTL: ptr(60), body: cacheChat, hdr: []string{"max-age=0, No-Store"},
			want: []string{"bypass", "bypass"}, upstream: 2},
		{name: "ttl header 0", keyTTL: ptr(60), body: cacheChat, hdr: []string{"", "0"},
			want: []string{"bypass", "bypass"}, upstream: 2},
		{name: "temperature above 0", keyTTL: ptr(60),
			body: `{"model":"chat","messages":[{"role":"user","content":"Say hi"}],"temperature":0.7}`,
			want: []string{"bypass", "bypass"}, upstream: 2},
		{name: "temperature above 0, alias opts in", keyTTL: ptr(60), nondeterministic: true,
			body: `{"model":"chat","messages":[{"role":"user","content":"Say hi"}]}`,
			want: []string{"miss", "hit"}, upstream: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newCacheEnv(t, tc.keyTTL, tc.alias, nil)
			e.g.cfg.Load().Aliases["chat"].Cache.Nondeterministic = tc.nondeterministic
			var got []string
			for range 2 {
				r := e.chat(t, e.keyA, tc.body, false, tc.hdr...)
				if r.err != nil {
					t.Fatal(r.err)
				}
				got = append(got, r.cache)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("cache = %v, want %v", got, tc.want)
			}
			if n := e.up.calls.Load(); n != tc.upstream {
				t.Errorf("%d upstream calls, want %d", n, tc.upstream)
			}
		})
	}
}

func TestCacheNoCacheStores(t *testing.T) {
	e := newCacheEnv(t, ptr(60), nil, nil)
	if r := e.chat(t, e.keyA, cacheChat, false, "no-cache"); r.cache != CacheBypass {
		t.Fatalf("no-cache: %q", r.cache)
	}
	if r := e.chat(t, e.keyA, cacheChat, false); r.cache != CacheHit {
		t.Errorf("after a no-cache request the answer was not kept: %q", r.cache)
	}
}

func TestCacheBadTTLHeader(t *testing.T) {
	e := newCacheEnv(t, ptr(60), nil, nil)
	r := e.chat(t, e.keyA, cacheChat, false, "", "soon")
	if statusOf(r.err) != 400 || e.up.calls.Load() != 0 {
		t.Errorf("x-conduit-cache-ttl: soon: %v, %d upstream calls", r.err, e.up.calls.Load())
	}
}

func TestCacheTTL(t *testing.T) {
	for _, tc := range []struct {
		name          string
		keyTTL, alias *int
		hdr           string
		ttl           time.Duration
	}{
		{"key", ptr(60), nil, "", time.Minute},
		{"the smaller of key and alias", ptr(60), ptr(30), "", 30 * time.Second},
		{"the header's", ptr(60), ptr(30), "120", 2 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newCacheEnv(t, tc.keyTTL, tc.alias, nil)
			e.chat(t, e.keyA, cacheChat, false, "", tc.hdr)
			e.clock.Advance(tc.ttl - time.Second)
			if r := e.chat(t, e.keyA, cacheChat, false, "", tc.hdr); r.cache != CacheHit {
				t.Fatalf("before the TTL: %q", r.cache)
			}
			e.clock.Advance(time.Second)
			if r := e.chat(t, e.keyA, cacheChat, false, "", tc.hdr); r.cache != CacheMiss {
				t.Errorf("at the TTL: %q, want miss", r.cache)
			}
			if n := e.up.calls.Load(); n != 2 {
				t.Errorf("%d upstream calls, want 2", n)
			}
		})
	}
}

func TestCacheScopedToKey(t *testing.T) {
	e := newCacheEnv(t, ptr(60), nil, nil)
	e.chat(t, e.keyA, cacheChat, false)
	if r := e.chat(t, e.keyB, cacheChat, false); r.cache != CacheMiss {
		t.Errorf("another key: %q, want miss", r.cache)
	}
	e.g.cfg.Load().Aliases["chat"].Cache.Shared = true
	e.chat(t, e.keyA, cacheChat, false)
	if r := e.chat(t, e.keyB, cacheChat, false); r.cache != CacheHit {
		t.Errorf("another key on a shared alias: %q, want hit", r.cache)
	}
}

func TestCacheBrokenStoreStillAnswers(t *testing.T) {
	bc := &brokenCache{}
	e := newCacheEnv(t, ptr(60), nil, bc)
	for _, stream := range []bool{false, true} {
		r := e.chat(t, e.keyA, cacheChat, stream)
		if r.err != nil || r.body == "" || r.cache != CacheMiss {
			t.Errorf("stream %v: err %v, cache %q, body %q", stream, r.err, r.cache, r.body)
		}
	}
	if e.up.calls.Load() != 2 || bc.sets.Load() != 2 {
		t.Errorf("%d upstream calls and %d writes, want 2 and 2", e.up.calls.Load(), bc.sets.Load())
	}
}

// A hit counts against the key's rate limits but is not charged to its budget.
func TestCacheHitsCountAgainstRateLimits(t *testing.T) {
	e := newCacheEnv(t, ptr(60), nil, nil)
	lim := limits.NewTracker(e.clock.Now)
	e.g.limits = lim
	k := snapshot.NewKey(config.Key{ID: "key_l", Enabled: true, CacheTTLS: ptr(60), RPM: ptr(2), MaxBudget: ptr(100.0),
		BudgetDuration: config.BudgetTotal})
	if r := e.chat(t, k, cacheChat, false); r.err != nil || r.cache != CacheMiss {
		t.Fatalf("first: %v %q", r.err, r.cache)
	}
	spent, _ := lim.Spend(k.Key)
	if r := e.chat(t, k, cacheChat, false); r.err != nil || r.cache != CacheHit {
		t.Fatalf("second: %v %q", r.err, r.cache)
	}
	if after, _ := lim.Spend(k.Key); after != spent || spent <= 0 {
		t.Errorf("spend %v after the miss, %v after the hit; want the hit free", spent, after)
	}
	if r := e.chat(t, k, cacheChat, false); statusOf(r.err) != 429 || codeOf(r.err) != llm.CodeRateLimitExceeded {
		t.Errorf("third request within the minute (rpm 2): %v, want a 429 rate limit", r.err)
	}
}
