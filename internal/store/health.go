package store

import (
	"context"
	"time"
)

// FlipProviderHealth records that a provider went down (up false) or came back (up true), as
// the instances sharing the database report it, and whether this call changed the recorded
// state: of several instances observing the same change, the one whose statement flips the
// row raises the notification, the others stay quiet. A provider without a row counts as up.
// With minAge > 0 a down state is brought back up only once it is at least minAge old (for
// an instance that saw the provider healthy without having seen it go down).
func (d *DB) FlipProviderHealth(ctx context.Context, providerID string, up bool, at time.Time,
	minAge time.Duration) (bool, error) {
	q, args := `INSERT INTO provider_health (provider_id, up, changed_at) VALUES (?, ?, ?)
		ON CONFLICT (provider_id) DO UPDATE SET up = excluded.up, changed_at = excluded.changed_at
		WHERE provider_health.up <> excluded.up`, []any{providerID, false, toMS(at)}
	if up {
		q = `UPDATE provider_health SET up = ?, changed_at = ?
			WHERE provider_id = ? AND up = ` + d.dia.boolean(false) + ` AND changed_at <= ?`
		args = []any{true, toMS(at), providerID, toMS(at.Add(-minAge))}
		if minAge <= 0 {
			args[3] = int64(1<<63 - 1) // any age: instances' clocks differ a little
		}
	}
	n, err := d.execCount(ctx, "flip provider health", q, args...)
	return n == 1, err
}
