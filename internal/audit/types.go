// Package audit records every admin change.
package audit

import (
	"encoding/json"
	"time"
)

// Entry is one audit trail row (docs/API.md, "audit trail").
type Entry struct {
	ID         string          `json:"id"`
	Time       time.Time       `json:"time"`
	Actor      string          `json:"actor"`
	ClientIP   string          `json:"client_ip"`
	Action     string          `json:"action"`
	Resource   string          `json:"resource"`
	ResourceID string          `json:"resource_id"`
	Changes    json.RawMessage `json:"changes"`
}
