// Package usage records one log row per /v1 request, asynchronously and in batches.
package usage

import "time"

// Record is one request log row (docs/API.md, "request logs").
type Record struct {
	ID               string    `json:"id"`
	Time             time.Time `json:"time"`
	KeyID            string    `json:"key_id"`
	Endpoint         string    `json:"endpoint"`
	Alias            string    `json:"alias"`
	ProviderID       string    `json:"provider_id"`
	ProviderModel    string    `json:"provider_model"`
	Status           int       `json:"status"`
	ErrorCode        string    `json:"error_code"`
	ErrorMessage     string    `json:"error_message"`
	LatencyMS        float64   `json:"latency_ms"`
	TTFBMS           float64   `json:"ttfb_ms"`
	OverheadMS       float64   `json:"overhead_ms"`
	PromptTokens     int       `json:"prompt_tokens"`
	CompletionTokens int       `json:"completion_tokens"`
	CachedTokens     int       `json:"cached_tokens"`
	Cost             float64   `json:"cost"`
	Stream           bool      `json:"stream"`
	Estimated        bool      `json:"estimated"`
	Attempts         int       `json:"attempts"`
	ClientIP         string    `json:"client_ip"`
	// AttemptLog lists every upstream call of a request that did not succeed at its first
	// (empty otherwise): which deployment, how it ended, how long it took.
	AttemptLog []Attempt `json:"attempt_log"`
	// CacheHit: the response cache answered; Cost is then 0 and Saved what the cached answer
	// cost when it was made.
	CacheHit bool    `json:"cache_hit"`
	Saved    float64 `json:"saved"`
	// TraceID is the request's OpenTelemetry trace (32 hex digits), empty when tracing is off.
	TraceID string `json:"trace_id"`

	// Bodies, kept only when settings.log_bodies is on; stored apart from the metadata.
	RequestBody  []byte `json:"-"`
	ResponseBody []byte `json:"-"`
}

// Attempt is one upstream call made for a request. Failed attempts cost nothing.
type Attempt struct {
	DeploymentID  string  `json:"deployment_id"`
	Alias         string  `json:"alias"`
	ProviderID    string  `json:"provider_id"`
	ProviderModel string  `json:"provider_model"`
	Status        int     `json:"status"` // 200 for the attempt that answered
	ErrorCode     string  `json:"error_code,omitempty"`
	Error         string  `json:"error,omitempty"`
	DurationMS    float64 `json:"duration_ms"`
	// Continuation is set on an attempt that continued a stream cut mid-answer: how many
	// bytes of text had reached the client before it.
	Continuation *Continuation `json:"continuation,omitempty"`
	// SkippedEvents counts malformed stream events passed over.
	SkippedEvents int `json:"skipped_events,omitempty"`
}

// Continuation describes a stream continued after a cut.
type Continuation struct {
	DeliveredBytes int `json:"delivered_bytes"`
	// Blocks is how many content blocks (tool calls, in a chat answer) the client had seen
	// begin; a cut inside one that is not text is not continued.
	Blocks int `json:"blocks,omitempty"`
}

// LogFilter selects request log rows, newest first.
type LogFilter struct {
	Limit  int    // 1..1000
	Before string // cursor: a row id; rows strictly older than it
	KeyID  string // exact
	Alias  string // exact ("model" query parameter)
	// ModelContains matches, case-insensitively, a substring of the alias or the provider model.
	ModelContains string
	ProviderID    string    // exact
	ID            string    // exact request id
	Status        int       // exact HTTP status; 0 = any
	ErrorsOnly    bool      // status >= 400
	From          time.Time // zero = unbounded
	To            time.Time // zero = unbounded
}

// Group is one row of a usage summary.
type Group struct {
	Key              string  `json:"key"`
	Requests         int64   `json:"requests"`
	PromptTokens     int64   `json:"prompt_tokens"`
	CompletionTokens int64   `json:"completion_tokens"`
	Cost             float64 `json:"cost"`
	Errors           int64   `json:"errors"`
	P50MS            float64 `json:"p50_ms"`
	P95MS            float64 `json:"p95_ms"`
	// CacheHits are the requests the response cache answered (HitRate = CacheHits/Requests);
	// Saved is what those answers cost when they were made.
	CacheHits int64   `json:"cache_hits"`
	HitRate   float64 `json:"hit_rate"`
	Saved     float64 `json:"saved"`
}

// GroupBy values accepted by usage summaries.
const (
	GroupByKey      = "key"
	GroupByModel    = "model"
	GroupByProvider = "provider"
	GroupByDay      = "day"
)
