// Package notify is the in-process event bus and its sinks: the notifications service (store,
// desktop, webhook) and the triggers that raise notifications (budget, expiry, provider
// health, usage anomalies, first start). Producers publish to the Bus or call a trigger;
// none of them knows a sink.
package notify

import "time"

// Notification is one stored notification (docs/API.md, "notifications").
type Notification struct {
	ID         string    `json:"id"`
	Time       time.Time `json:"time"`
	Type       string    `json:"type"`
	Severity   string    `json:"severity"`
	Title      string    `json:"title"`
	Body       string    `json:"body"`
	KeyID      string    `json:"key_id,omitempty"`
	ProviderID string    `json:"provider_id,omitempty"`
	Read       bool      `json:"read"`
	// Dedupe is a stable key naming the condition and period a trigger fired for (e.g.
	// "budget:key_x:2026-01-01:10:80"), so "once per period" survives a restart (see
	// Service.Restore). Empty for notifications that are not deduplicated. Webhook receivers
	// may use it as an idempotency key.
	Dedupe string `json:"dedupe,omitempty"`
}

// Notification types (docs/API.md).
const (
	TypeBudget         = "budget"
	TypeExpiry         = "expiry"
	TypeProviderHealth = "provider_health"
	TypeAnomaly        = "anomaly"
	TypeSystem         = "system"
)

// Severities.
const (
	SeverityInfo     = "info"
	SeverityWarning  = "warning"
	SeverityCritical = "critical"
)

// Event kinds published on the Bus.
const (
	// KindNotification carries a Notification.
	KindNotification = "notification"
	// KindKeySpend carries a KeySpend.
	KindKeySpend = "key_spend"
	// KindProviderHealth carries a ProviderHealth.
	KindProviderHealth = "provider_health"
	// KindRequest carries a compact live request summary chosen by the publisher.
	KindRequest = "request"
)

// KeySpend is the data of a "key_spend" event.
type KeySpend struct {
	KeyID     string   `json:"key_id"`
	Spend     float64  `json:"spend"`
	MaxBudget *float64 `json:"max_budget"`
}

// ProviderHealth is the data of a "provider_health" event.
type ProviderHealth struct {
	ProviderID string `json:"provider_id"`
	Name       string `json:"name"`
	Status     string `json:"status"` // "up" or "down"
	Error      string `json:"error,omitempty"`
}
