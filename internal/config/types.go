// Package config holds the records an admin edits (providers, deployments, keys, costs, router,
// settings) and the immutable runtime snapshot built from them for the request path.
package config

import (
	"encoding/json"
	"time"
)

// Provider is an upstream account. Its API key lives in the secrets backend, never here.
// Its Type names a provider type of the build's registry (internal/providers).
type Provider struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	BaseURL    string `json:"base_url"`
	APIVersion string `json:"api_version"`
	// CACert is PEM certificates the upstream's TLS is also checked against (a self-hosted
	// upstream behind a private CA); empty: the system's roots only.
	CACert    string `json:"ca_cert"`
	Enabled   bool   `json:"enabled"`
	TimeoutMS int    `json:"timeout_ms"`
	APIKeySet bool   `json:"api_key_set"`
	// ResponsesAPI: the upstream also serves OpenAI's Responses API (openai_compatible;
	// openai and azure always do).
	ResponsesAPI bool      `json:"responses_api"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// SecretName is the name under which a provider's API key is kept in the secrets backend.
func (p *Provider) SecretName() string { return "provider/" + p.ID }

// Deployment is one row of the models table: an alias served by a provider model.
// Several deployments with one alias are what the router chooses among.
type Deployment struct {
	ID                 string `json:"id"`
	Alias              string `json:"alias"`
	ProviderID         string `json:"provider_id"`
	ProviderModel      string `json:"provider_model"`
	Weight             int    `json:"weight"`
	Priority           int    `json:"priority"`
	SupportsVision     bool   `json:"supports_vision"`
	SupportsTools      bool   `json:"supports_tools"`
	SupportsStreaming  bool   `json:"supports_streaming"`
	SupportsEmbeddings bool   `json:"supports_embeddings"`
	ContextWindow      int    `json:"context_window"`
	// SupportsPrefill: the deployment continues a trailing assistant message (a stream that
	// died mid-answer may be continued on it).
	SupportsPrefill bool `json:"supports_prefill"`
	// FirstTokenTimeoutMS and StreamIdleTimeoutMS override the router's limits when set.
	FirstTokenTimeoutMS *int `json:"first_token_timeout_ms"`
	StreamIdleTimeoutMS *int `json:"stream_idle_timeout_ms"`
	// CacheTTLS switches the response cache on for the alias (nil: off; docs/API.md has how
	// it combines with the key's); CacheShared lets every key read the alias's cached answers;
	// CacheNondeterministic also caches requests with a temperature above 0.
	CacheTTLS             *int      `json:"cache_ttl_s"`
	CacheShared           bool      `json:"cache_shared"`
	CacheNondeterministic bool      `json:"cache_nondeterministic"`
	Enabled               bool      `json:"enabled"`
	CreatedAt             time.Time `json:"created_at"`
	UpdatedAt             time.Time `json:"updated_at"`
}

// Router strategies (docs/API.md).
const (
	StrategySimple       = "simple"
	StrategyRandom       = "random"
	StrategyRoundRobin   = "round_robin"
	StrategyWeighted     = "weighted"
	StrategyLeastLatency = "least_latency"
	StrategyLeastCost    = "least_cost"
)

// Router is the global routing configuration.
type Router struct {
	Strategy              string              `json:"strategy"`
	MaxRetries            int                 `json:"max_retries"`
	RetryBaseMS           int                 `json:"retry_base_ms"`
	RetryMaxMS            int                 `json:"retry_max_ms"`
	CooldownAfterFailures int                 `json:"cooldown_after_failures"`
	CooldownS             int                 `json:"cooldown_s"`
	HealthCheckIntervalS  int                 `json:"health_check_interval_s"`
	Fallbacks             map[string][]string `json:"fallbacks"`
	// ContextWindowFallbacks is where a request goes that an alias refused as longer than
	// its context window.
	ContextWindowFallbacks map[string][]string `json:"context_window_fallbacks"`
	// FirstTokenTimeoutMS bounds an attempt until its first byte (0: only the provider's
	// timeout_ms); StreamIdleTimeoutMS bounds the gap between stream chunks.
	FirstTokenTimeoutMS int `json:"first_token_timeout_ms"`
	StreamIdleTimeoutMS int `json:"stream_idle_timeout_ms"`
}

// DefaultRouter returns the documented defaults (docs/API.md, "router").
func DefaultRouter() Router {
	return Router{
		Strategy:               StrategySimple,
		MaxRetries:             3,
		RetryBaseMS:            500,
		RetryMaxMS:             10000,
		CooldownAfterFailures:  3,
		CooldownS:              30,
		HealthCheckIntervalS:   60,
		Fallbacks:              map[string][]string{},
		ContextWindowFallbacks: map[string][]string{},
		StreamIdleTimeoutMS:    120000,
	}
}

// Budget durations (docs/API.md).
const (
	BudgetTotal   = "total"
	BudgetDaily   = "daily"
	BudgetWeekly  = "weekly"
	BudgetMonthly = "monthly"
)

// Key is a virtual key. Only the SHA-256 of the plaintext is stored.
type Key struct {
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	KeyPrefix      string          `json:"key_prefix"`
	KeyHash        string          `json:"-"` // hex SHA-256 of the plaintext key
	MaxBudget      *float64        `json:"max_budget"`
	BudgetDuration string          `json:"budget_duration"`
	RPM            *int            `json:"rpm"`
	RPD            *int            `json:"rpd"`
	TPM            *int            `json:"tpm"`
	AllowedModels  []string        `json:"allowed_models"`
	ExpiresAt      *time.Time      `json:"expires_at"`
	Enabled        bool            `json:"enabled"`
	Metadata       json.RawMessage `json:"metadata"`
	// CacheTTLS switches the response cache on for the key (nil: off).
	CacheTTLS *int      `json:"cache_ttl_s"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Cost is a price row. Prices are USD; per-token prices are per million tokens.
type Cost struct {
	ID                 string   `json:"id"`
	ModelPattern       string   `json:"model_pattern"`
	InputPerMTok       float64  `json:"input_per_mtok"`
	OutputPerMTok      float64  `json:"output_per_mtok"`
	CachedInputPerMTok *float64 `json:"cached_input_per_mtok"`
	PerImage           *float64 `json:"per_image"`
	// PerSecond prices audio transcription and translation, per second of audio.
	PerSecond *float64 `json:"per_second"`
	// Per1KChars prices speech, per thousand characters of input text.
	Per1KChars *float64 `json:"per_1k_chars"`
	// PerSearchUnit prices reranking, per search unit (a query over up to 100 documents).
	PerSearchUnit *float64  `json:"per_search_unit"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Settings are the global product settings.
type Settings struct {
	NotifyDesktop       bool   `json:"notify_desktop"`
	NotifyWebhookURL    string `json:"notify_webhook_url"`
	BudgetAlertPercents []int  `json:"budget_alert_percents"`
	ExpiryWarningDays   int    `json:"expiry_warning_days"`
	LogBodies           bool   `json:"log_bodies"`
	LogRetentionDays    int    `json:"log_retention_days"`
	Autostart           bool   `json:"autostart"`
	// CORSOrigins are the browser origins allowed to call /v1 ("*" for any); empty: CORS off.
	CORSOrigins []string `json:"cors_origins"`
}

// DefaultSettings returns the documented defaults (docs/API.md, "settings").
func DefaultSettings() Settings {
	return Settings{
		NotifyDesktop:       true,
		BudgetAlertPercents: []int{50, 80, 100},
		ExpiryWarningDays:   7,
		LogRetentionDays:    30,
		CORSOrigins:         []string{},
	}
}
