// Package notify is the in-process event bus and its sinks.
package notify

import "time"

// Notification is one stored notification (SPEC §3 "notifications").
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
}
