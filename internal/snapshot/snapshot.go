// Package snapshot builds the immutable view of the configuration that the request path reads,
// and swaps it atomically whenever an admin changes something.
package snapshot

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/keys"
	"github.com/conduit-gw/conduit/internal/pricing"
	"github.com/conduit-gw/conduit/internal/providers"
	"github.com/conduit-gw/conduit/internal/trust"
)

// DefaultTimeout applies to providers whose timeout_ms is 0.
const DefaultTimeout = 5 * time.Minute

// Snapshot is one consistent view of the configuration. Never modify it after Build.
type Snapshot struct {
	Providers map[string]*Provider
	Aliases   map[string]*Alias
	// AliasNames lists every alias with at least one usable deployment, sorted.
	AliasNames []string
	Keys       map[[32]byte]*Key
	KeysByID   map[string]*Key
	Router     config.Router
	Settings   config.Settings
	Prices     *pricing.Table
	Built      time.Time
}

// Provider is a provider with its adapter. Err is set when the adapter could not be built
// (a missing API key, say); its deployments then fail with that error.
type Provider struct {
	config.Provider
	Adapter providers.Provider
	Err     error
	Timeout time.Duration
	// GenAIName is the provider type as traces name it (gen_ai.provider.name).
	GenAIName string
}

// Deployment is a model row ready to call.
type Deployment struct {
	config.Deployment
	Provider *Provider
	Price    pricing.Row
	Priced   bool
	// FirstToken bounds an attempt until its first byte and StreamIdle the gap between
	// stream chunks: the row's own limits, else the router's; 0 means no limit of its own
	// (the provider's timeout still applies).
	FirstToken, StreamIdle time.Duration
}

// Alias is the set of enabled deployments behind one model alias, lowest priority first.
type Alias struct {
	Name        string
	Deployments []*Deployment
	// Any* report whether at least one deployment declares the capability; the router only
	// filters on a capability that some deployment of the alias declares.
	AnyVision, AnyTools, AnyEmbeddings, AnyStreaming bool
	// Cache is the alias's response cache setting, from its rows (see cacheOf).
	Cache AliasCache
}

// AliasCache is an alias's response cache setting. TTL is the smallest cache_ttl_s among its
// rows (0: no row sets one, the alias leaves the cache to the key). Shared and
// Nondeterministic hold only when every row of the alias says so.
type AliasCache struct {
	TTL              time.Duration
	Shared           bool
	Nondeterministic bool
}

// cacheOf returns the cache setting of an alias's rows.
func cacheOf(ds []*Deployment) AliasCache {
	c := AliasCache{Shared: len(ds) > 0, Nondeterministic: len(ds) > 0}
	for _, d := range ds {
		if d.CacheTTLS != nil && *d.CacheTTLS > 0 {
			ttl := time.Duration(*d.CacheTTLS) * time.Second
			if c.TTL == 0 || ttl < c.TTL {
				c.TTL = ttl
			}
		}
		c.Shared = c.Shared && d.CacheShared
		c.Nondeterministic = c.Nondeterministic && d.CacheNondeterministic
	}
	return c
}

// Key is a virtual key with its model allow-list compiled.
type Key struct {
	config.Key
	// CacheTTL is the key's response cache TTL (0: the key leaves the cache to the alias).
	CacheTTL time.Duration
	allowAll bool
	exact    map[string]struct{}
	prefixes []string
}

// Allows reports whether the key may use alias.
func (k *Key) Allows(alias string) bool {
	if k.allowAll {
		return true
	}
	if _, ok := k.exact[alias]; ok {
		return true
	}
	for _, p := range k.prefixes {
		if strings.HasPrefix(alias, p) {
			return true
		}
	}
	return false
}

// NewKey compiles a key's allow-list.
func NewKey(c config.Key) *Key {
	k := &Key{Key: c, exact: map[string]struct{}{}}
	if c.CacheTTLS != nil && *c.CacheTTLS > 0 {
		k.CacheTTL = time.Duration(*c.CacheTTLS) * time.Second
	}
	for _, m := range c.AllowedModels {
		switch {
		case m == "*":
			k.allowAll = true
		case strings.HasSuffix(m, "*"):
			k.prefixes = append(k.prefixes, strings.TrimSuffix(m, "*"))
		default:
			k.exact[m] = struct{}{}
		}
	}
	if len(c.AllowedModels) == 0 {
		k.allowAll = true
	}
	return k
}

// Source is the configuration store as the snapshot builder reads it.
type Source interface {
	ListProviders(ctx context.Context) ([]config.Provider, error)
	ListDeployments(ctx context.Context) ([]config.Deployment, error)
	ListKeys(ctx context.Context) ([]config.Key, error)
	ListCosts(ctx context.Context) ([]config.Cost, error)
	GetRouter(ctx context.Context) (config.Router, error)
	GetSettings(ctx context.Context) (config.Settings, error)
}

// Secrets yields provider API keys.
type Secrets interface {
	Get(ctx context.Context, name string) (string, error)
}

// Builder builds snapshots.
type Builder struct {
	Source   Source
	Secrets  Secrets
	Registry *providers.Registry
	Client   *http.Client // shared by every adapter
	Defaults []pricing.Row
	Logger   *slog.Logger
	// IsNotFound tells a missing secret from a failing backend.
	IsNotFound func(error) bool

	cas trust.Clients // clients of providers with a CA bundle of their own
}

// load reads one part of the configuration with get unless *err already holds an error, and
// records get's error, naming what, in *err.
func load[T any](ctx context.Context, err *error, what string, get func(context.Context) (T, error)) T {
	var v T
	if *err != nil {
		return v
	}
	v, e := get(ctx)
	if e != nil {
		*err = fmt.Errorf("snapshot: %s: %w", what, e)
	}
	return v
}

// Build reads everything and returns a new snapshot.
func (b *Builder) Build(ctx context.Context) (*Snapshot, error) {
	var err error
	provs := load(ctx, &err, "providers", b.Source.ListProviders)
	deps := load(ctx, &err, "models", b.Source.ListDeployments)
	ks := load(ctx, &err, "keys", b.Source.ListKeys)
	costs := load(ctx, &err, "costs", b.Source.ListCosts)
	rc := load(ctx, &err, "router", b.Source.GetRouter)
	st := load(ctx, &err, "settings", b.Source.GetSettings)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{
		Providers: make(map[string]*Provider, len(provs)),
		Aliases:   map[string]*Alias{},
		Keys:      make(map[[32]byte]*Key, len(ks)),
		KeysByID:  make(map[string]*Key, len(ks)),
		Router:    rc,
		Settings:  st,
		Prices:    pricing.NewTable(b.Defaults, costs),
		Built:     time.Now().UTC(),
	}
	for _, p := range provs {
		s.Providers[p.ID] = b.provider(ctx, p)
	}
	for _, d := range deps {
		p := s.Providers[d.ProviderID]
		if !d.Enabled || p == nil || !p.Enabled {
			continue
		}
		rd := &Deployment{Deployment: d, Provider: p,
			FirstToken: limit(d.FirstTokenTimeoutMS, rc.FirstTokenTimeoutMS),
			StreamIdle: limit(d.StreamIdleTimeoutMS, rc.StreamIdleTimeoutMS)}
		rd.Price, rd.Priced = s.Prices.Lookup(d.ProviderModel)
		a := s.Aliases[d.Alias]
		if a == nil {
			a = &Alias{Name: d.Alias}
			s.Aliases[d.Alias] = a
		}
		a.Deployments = append(a.Deployments, rd)
		a.AnyVision = a.AnyVision || d.SupportsVision
		a.AnyTools = a.AnyTools || d.SupportsTools
		a.AnyEmbeddings = a.AnyEmbeddings || d.SupportsEmbeddings
		a.AnyStreaming = a.AnyStreaming || d.SupportsStreaming
	}
	for name, a := range s.Aliases {
		sort.SliceStable(a.Deployments, func(i, j int) bool {
			return a.Deployments[i].Priority < a.Deployments[j].Priority
		})
		a.Cache = cacheOf(a.Deployments)
		s.AliasNames = append(s.AliasNames, name)
	}
	sort.Strings(s.AliasNames)
	for _, k := range ks {
		h, ok := keys.ParseHashHex(k.KeyHash)
		if !ok {
			b.Logger.Warn("virtual key has a malformed hash; skipped", "key_id", k.ID)
			continue
		}
		rk := NewKey(k)
		s.Keys[h] = rk
		s.KeysByID[k.ID] = rk
	}
	return s, nil
}

// limit is a deployment's own limit in milliseconds when it has one, else the router's.
func limit(own *int, router int) time.Duration {
	if own != nil {
		return time.Duration(*own) * time.Millisecond
	}
	return time.Duration(router) * time.Millisecond
}

func (b *Builder) provider(ctx context.Context, p config.Provider) *Provider {
	rp := &Provider{Provider: p, Timeout: DefaultTimeout, GenAIName: b.Registry.GenAIName(p.Type)}
	if p.TimeoutMS > 0 {
		rp.Timeout = time.Duration(p.TimeoutMS) * time.Millisecond
	}
	var apiKey string
	if p.APIKeySet {
		k, err := b.Secrets.Get(ctx, p.SecretName())
		if err != nil && (b.IsNotFound == nil || !b.IsNotFound(err)) {
			rp.Err = fmt.Errorf("provider %q: reading its API key: %w", p.Name, err)
			b.Logger.Error("cannot read provider API key", "provider_id", p.ID, "err", err)
			return rp
		}
		apiKey = k
	}
	client, err := b.cas.For(b.Client, p.CACert)
	if err != nil {
		rp.Err = fmt.Errorf("provider %q: ca_cert: %w", p.Name, err)
		return rp
	}
	cfg := providers.Config{Type: p.Type, BaseURL: p.BaseURL, APIKey: apiKey, APIVersion: p.APIVersion, Client: client,
		ResponsesAPI: p.ResponsesAPI}
	rp.Adapter, rp.Err = b.Registry.New(cfg)
	return rp
}

// Holder keeps the current snapshot and rebuilds it on demand.
type Holder struct {
	mu      sync.Mutex // serialises rebuilds
	cur     atomic.Pointer[Snapshot]
	builder *Builder
}

// NewHolder builds the first snapshot.
func NewHolder(ctx context.Context, b *Builder) (*Holder, error) {
	h := &Holder{builder: b}
	if err := h.Reload(ctx); err != nil {
		return nil, err
	}
	return h, nil
}

// Load returns the current snapshot; it never blocks.
func (h *Holder) Load() *Snapshot { return h.cur.Load() }

// Reload rebuilds the snapshot from the store; requests already running keep the one they
// started with.
func (h *Holder) Reload(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, err := h.builder.Build(ctx)
	if err != nil {
		return err
	}
	h.cur.Store(s)
	return nil
}
