package limits

import (
	"testing"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
)

func utc(y int, m time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, m, d, h, mi, s, 0, time.UTC)
}

func TestPeriodStartAndNextReset(t *testing.T) {
	est := time.FixedZone("EST", -5*3600)
	tests := []struct {
		name      string
		duration  string
		now       time.Time
		wantStart time.Time
		wantReset time.Time // zero: nil
	}{
		{"total", config.BudgetTotal, utc(2025, 3, 14, 15, 4, 5), time.Time{}, time.Time{}},
		{"unset is total", "", utc(2025, 3, 14, 15, 4, 5), time.Time{}, time.Time{}},
		{"unknown is total", "hourly", utc(2025, 3, 14, 15, 4, 5), time.Time{}, time.Time{}},

		{"daily", config.BudgetDaily, utc(2025, 3, 14, 15, 4, 5), utc(2025, 3, 14, 0, 0, 0), utc(2025, 3, 15, 0, 0, 0)},
		{"daily at midnight", config.BudgetDaily, utc(2025, 3, 14, 0, 0, 0), utc(2025, 3, 14, 0, 0, 0), utc(2025, 3, 15, 0, 0, 0)},
		{"daily last nanosecond", config.BudgetDaily, utc(2025, 3, 15, 0, 0, 0).Add(-1), utc(2025, 3, 14, 0, 0, 0), utc(2025, 3, 15, 0, 0, 0)},
		{"daily end of month", config.BudgetDaily, utc(2025, 2, 28, 12, 0, 0), utc(2025, 2, 28, 0, 0, 0), utc(2025, 3, 1, 0, 0, 0)},
		{"daily leap day", config.BudgetDaily, utc(2024, 2, 29, 12, 0, 0), utc(2024, 2, 29, 0, 0, 0), utc(2024, 3, 1, 0, 0, 0)},
		{"daily end of year", config.BudgetDaily, utc(2024, 12, 31, 23, 59, 59), utc(2024, 12, 31, 0, 0, 0), utc(2025, 1, 1, 0, 0, 0)},
		{"daily is UTC", config.BudgetDaily, time.Date(2025, 3, 14, 22, 0, 0, 0, est), utc(2025, 3, 15, 0, 0, 0), utc(2025, 3, 16, 0, 0, 0)},

		{"weekly friday", config.BudgetWeekly, utc(2025, 3, 14, 15, 0, 0), utc(2025, 3, 10, 0, 0, 0), utc(2025, 3, 17, 0, 0, 0)},
		{"weekly monday midnight", config.BudgetWeekly, utc(2025, 3, 17, 0, 0, 0), utc(2025, 3, 17, 0, 0, 0), utc(2025, 3, 24, 0, 0, 0)},
		{"weekly sunday night", config.BudgetWeekly, utc(2025, 3, 16, 23, 59, 59), utc(2025, 3, 10, 0, 0, 0), utc(2025, 3, 17, 0, 0, 0)},
		{"weekly across a month", config.BudgetWeekly, utc(2025, 3, 2, 8, 0, 0), utc(2025, 2, 24, 0, 0, 0), utc(2025, 3, 3, 0, 0, 0)},
		{"weekly across a year", config.BudgetWeekly, utc(2025, 1, 1, 8, 0, 0), utc(2024, 12, 30, 0, 0, 0), utc(2025, 1, 6, 0, 0, 0)},
		{"weekly is UTC", config.BudgetWeekly, time.Date(2025, 3, 16, 20, 0, 0, 0, est), utc(2025, 3, 17, 0, 0, 0), utc(2025, 3, 24, 0, 0, 0)},

		{"monthly", config.BudgetMonthly, utc(2025, 3, 14, 15, 0, 0), utc(2025, 3, 1, 0, 0, 0), utc(2025, 4, 1, 0, 0, 0)},
		{"monthly first instant", config.BudgetMonthly, utc(2025, 4, 1, 0, 0, 0), utc(2025, 4, 1, 0, 0, 0), utc(2025, 5, 1, 0, 0, 0)},
		{"monthly 31st", config.BudgetMonthly, utc(2025, 1, 31, 23, 0, 0), utc(2025, 1, 1, 0, 0, 0), utc(2025, 2, 1, 0, 0, 0)},
		{"monthly february", config.BudgetMonthly, utc(2025, 2, 28, 23, 59, 59), utc(2025, 2, 1, 0, 0, 0), utc(2025, 3, 1, 0, 0, 0)},
		{"monthly leap february", config.BudgetMonthly, utc(2024, 2, 29, 1, 0, 0), utc(2024, 2, 1, 0, 0, 0), utc(2024, 3, 1, 0, 0, 0)},
		{"monthly december", config.BudgetMonthly, utc(2024, 12, 31, 23, 59, 59), utc(2024, 12, 1, 0, 0, 0), utc(2025, 1, 1, 0, 0, 0)},
		{"monthly is UTC", config.BudgetMonthly, time.Date(2024, 12, 31, 20, 0, 0, 0, est), utc(2025, 1, 1, 0, 0, 0), utc(2025, 2, 1, 0, 0, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := PeriodStart(tc.duration, tc.now)
			if !start.Equal(tc.wantStart) || (!start.IsZero() && start.Location() != time.UTC) {
				t.Errorf("PeriodStart = %v, want %v", start, tc.wantStart)
			}
			reset := NextReset(tc.duration, tc.now)
			switch {
			case tc.wantReset.IsZero() && reset != nil:
				t.Errorf("NextReset = %v, want nil", *reset)
			case !tc.wantReset.IsZero() && (reset == nil || !reset.Equal(tc.wantReset)):
				t.Errorf("NextReset = %v, want %v", reset, tc.wantReset)
			}
			if reset != nil {
				if !reset.After(tc.now) {
					t.Errorf("NextReset %v is not after now %v", *reset, tc.now)
				}
				// The reset is the start of the next period.
				if next := PeriodStart(tc.duration, *reset); !next.Equal(*reset) {
					t.Errorf("PeriodStart(NextReset) = %v, want %v", next, *reset)
				}
				if prev := PeriodStart(tc.duration, reset.Add(-time.Nanosecond)); !prev.Equal(start) {
					t.Errorf("the instant before the reset is in period %v, want %v", prev, start)
				}
			}
		})
	}
}

func TestWeeksStartOnMonday(t *testing.T) {
	// Every day of several weeks, across a year boundary, maps to a Monday at most 6 days back.
	for d := utc(2024, 12, 20, 13, 0, 0); d.Before(utc(2025, 1, 20, 0, 0, 0)); d = d.Add(24 * time.Hour) {
		s := PeriodStart(config.BudgetWeekly, d)
		if s.Weekday() != time.Monday || d.Sub(s) < 0 || d.Sub(s) >= 7*24*time.Hour {
			t.Fatalf("week of %v (%v) starts %v (%v)", d, d.Weekday(), s, s.Weekday())
		}
	}
}
