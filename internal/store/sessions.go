package store

import (
	"context"
	"time"
)

// CreateSession stores a web UI login, by the hash of its token, until expires; logins that
// have expired are deleted on the way.
func (d *DB) CreateSession(ctx context.Context, tokenHash string, expires time.Time) error {
	if _, err := d.w.ExecContext(ctx, `DELETE FROM admin_sessions WHERE expires_at < ?`,
		toMS(now())); err != nil {
		return wrapErr("create session", err)
	}
	_, err := d.w.ExecContext(ctx, `INSERT INTO admin_sessions (token_hash, expires_at)
		VALUES (?, ?) ON CONFLICT (token_hash) DO UPDATE SET expires_at = excluded.expires_at`,
		tokenHash, toMS(expires))
	return wrapErr("create session", err)
}

// SessionValid reports whether a login with this token hash exists and has not expired at now.
func (d *DB) SessionValid(ctx context.Context, tokenHash string, now time.Time) (bool, error) {
	var n int
	err := d.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM admin_sessions
		WHERE token_hash = ? AND expires_at > ?`, tokenHash, toMS(now)).Scan(&n)
	if err != nil {
		return false, wrapErr("check session", err)
	}
	return n > 0, nil
}

// DeleteSession ends a login (an unknown one is not an error).
func (d *DB) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := d.w.ExecContext(ctx, `DELETE FROM admin_sessions WHERE token_hash = ?`, tokenHash)
	return wrapErr("delete session", err)
}
