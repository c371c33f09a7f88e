package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/conduit-gw/conduit/internal/audit"
)

const auditCols = `id, time, actor, client_ip, action, resource, resource_id, changes`

var insertAuditSQL = insertSQL("audit_log", auditCols) + ` ON CONFLICT (id) DO NOTHING`

func scanAudit(s scanner) (audit.Entry, error) {
	var (
		e       audit.Entry
		ms      int64
		changes sql.NullString
	)
	if err := s.Scan(&e.ID, &ms, &e.Actor, &e.ClientIP, &e.Action, &e.Resource, &e.ResourceID,
		&changes); err != nil {
		return audit.Entry{}, err
	}
	e.Time = fromMS(ms)
	if changes.Valid && changes.String != "" {
		e.Changes = json.RawMessage(changes.String)
	}
	return e, nil
}

// InsertAudit stores a batch of audit entries in one transaction. Empty IDs ("aud_…") and zero
// Times (now, UTC) are filled in place in es. Changes must be valid JSON or empty (stored as
// NULL, read back as a nil RawMessage). Entries whose id already exists are skipped.
func (d *DB) InsertAudit(ctx context.Context, es []audit.Entry) error {
	if len(es) == 0 {
		return nil
	}
	changes := make([]sql.NullString, len(es))
	for i, e := range es {
		var err error
		if changes[i], err = compactJSON(e.Changes); err != nil {
			return fmt.Errorf("store: insert audit: changes of entry %d is not valid JSON: %w", i, err)
		}
	}
	return d.insertBatch(ctx, "insert audit", insertAuditSQL, len(es), func(i int) []any {
		e := &es[i]
		fillIDTime(&e.ID, "aud", &e.Time)
		return []any{e.ID, toMS(e.Time), e.Actor, e.ClientIP, e.Action, e.Resource, e.ResourceID,
			changes[i]}
	})
}

// ListAudit returns audit entries newest first. before is a cursor (the id of the last entry of
// the previous page; unknown gives ErrNotFound), resource filters exactly when not empty.
// limit defaults to 50 and is capped at 1000.
func (d *DB) ListAudit(ctx context.Context, limit int, before, resource string) (
	[]audit.Entry, error) {
	var (
		where []string
		args  []any
	)
	if before != "" {
		var (
			ms int64
			id string
		)
		err := d.r.QueryRowContext(ctx, `SELECT time, id FROM audit_log WHERE id = ?`, before).
			Scan(&ms, &id)
		if err != nil {
			return nil, wrapErr("list audit: cursor "+before, err)
		}
		where = append(where, "(time, id) < (?, ?)")
		args = append(args, ms, id)
	}
	if resource != "" {
		where = append(where, "resource = ?")
		args = append(args, resource)
	}
	args = append(args, clampLimit(limit))
	return queryAll(ctx, d.r, "list audit", `SELECT `+auditCols+` FROM audit_log`+whereClause(where)+
		` ORDER BY time DESC, id DESC LIMIT ?`, scanAudit, args...)
}
