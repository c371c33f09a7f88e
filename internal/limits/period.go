// Package limits enforces per-key rate limits (RPM, RPD, TPM) and budgets: Tracker in memory
// (one instance), Shared in Redis (every instance on it enforcing one set of counters).
package limits

import (
	"time"

	"github.com/conduit-gw/conduit/internal/config"
)

// PeriodStart is the start (UTC) of the budget period containing now; zero for "total".
// Weeks start on Monday.
func PeriodStart(duration string, now time.Time) time.Time {
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch duration {
	case config.BudgetDaily:
		return day
	case config.BudgetWeekly:
		offset := (int(day.Weekday()) + 6) % 7 // days since Monday
		return day.AddDate(0, 0, -offset)
	case config.BudgetMonthly:
		return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	default:
		return time.Time{}
	}
}

// NextReset is when the budget period containing now ends; nil for "total".
func NextReset(duration string, now time.Time) *time.Time {
	start := PeriodStart(duration, now)
	var t time.Time
	switch duration {
	case config.BudgetDaily:
		t = start.AddDate(0, 0, 1)
	case config.BudgetWeekly:
		t = start.AddDate(0, 0, 7)
	case config.BudgetMonthly:
		t = start.AddDate(0, 1, 0)
	default:
		return nil
	}
	return &t
}
