package store

import (
	"context"

	"github.com/conduit-gw/conduit/internal/notify"
)

const notificationCols = `id, time, type, severity, title, body, key_id, provider_id, read, dedupe`

func scanNotification(s scanner) (notify.Notification, error) {
	var (
		n  notify.Notification
		ms int64
	)
	err := s.Scan(&n.ID, &ms, &n.Type, &n.Severity, &n.Title, &n.Body, &n.KeyID, &n.ProviderID,
		&n.Read, &n.Dedupe)
	n.Time = fromMS(ms)
	return n, err
}

// insertNotificationSQL skips a notification whose id, or whose dedupe key, is stored already.
var insertNotificationSQL = insertSQL("notifications", notificationCols) + ` ON CONFLICT DO NOTHING`

// InsertNotifications stores a batch of notifications in one transaction. Empty IDs ("ntf_…")
// and zero Times (now, UTC) are filled in place in ns, so the caller can publish what was
// stored. Notifications whose id or (non-empty) dedupe key already exists are skipped.
func (d *DB) InsertNotifications(ctx context.Context, ns []notify.Notification) error {
	return d.insertBatch(ctx, "insert notifications", insertNotificationSQL, len(ns), func(i int) []any {
		return notificationArgs(&ns[i])
	})
}

// notificationArgs fills in n's id and time and returns its column values.
func notificationArgs(n *notify.Notification) []any {
	fillIDTime(&n.ID, "ntf", &n.Time)
	return []any{n.ID, toMS(n.Time), n.Type, n.Severity, n.Title, n.Body, n.KeyID, n.ProviderID,
		n.Read, n.Dedupe}
}

// ClaimNotification stores n unless a notification with its dedupe key (or id) is stored
// already, and reports whether it did: of several instances raising the same notification,
// the one that claims it delivers it.
func (d *DB) ClaimNotification(ctx context.Context, n notify.Notification) (bool, error) {
	k, err := d.execCount(ctx, "claim notification", insertNotificationSQL, notificationArgs(&n)...)
	return k == 1, err
}

// ListNotifications returns notifications newest first. limit defaults to 50 and is capped at
// 1000; unreadOnly keeps only unread ones.
func (d *DB) ListNotifications(ctx context.Context, limit int, unreadOnly bool) (
	[]notify.Notification, error) {
	q := `SELECT ` + notificationCols + ` FROM notifications`
	if unreadOnly {
		q += ` WHERE read = ` + d.dia.boolean(false)
	}
	q += ` ORDER BY time DESC, id DESC LIMIT ?`
	return queryAll(ctx, d.r, "list notifications", q, scanNotification, clampLimit(limit))
}

// MarkNotificationRead marks one notification read; unknown id gives ErrNotFound.
func (d *DB) MarkNotificationRead(ctx context.Context, id string) error {
	return d.execOne(ctx, "mark notification read",
		`UPDATE notifications SET read = `+d.dia.boolean(true)+` WHERE id = ?`, id)
}

// MarkAllNotificationsRead marks every unread notification read and returns how many were.
func (d *DB) MarkAllNotificationsRead(ctx context.Context) (int64, error) {
	return d.execCount(ctx, "mark all notifications read", `UPDATE notifications SET read = `+
		d.dia.boolean(true)+` WHERE read = `+d.dia.boolean(false))
}

// UnreadNotifications returns the number of unread notifications.
func (d *DB) UnreadNotifications(ctx context.Context) (int64, error) {
	var n int64
	err := d.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE read = `+
		d.dia.boolean(false)).Scan(&n)
	if err != nil {
		return 0, wrapErr("unread notifications", err)
	}
	return n, nil
}
