package store

import (
	"context"
	"time"
)

// StoredResponse is a Responses API response kept for a later previous_response_id: the
// input items of its request and the response object, both JSON.
type StoredResponse struct {
	ID         string
	KeyID      string
	PreviousID string
	Model      string
	CreatedAt  time.Time
	Input      string // JSON array of input items
	Response   string // JSON response object
}

const insertResponseSQL = `INSERT INTO responses (id, key_id, previous_id, model, created_at, input, response)
	VALUES (?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET response = excluded.response`

// PutResponses writes a batch of responses in one transaction; one already stored under its
// id gets the new response object.
func (d *DB) PutResponses(ctx context.Context, rs []StoredResponse) (err error) {
	if len(rs) == 0 {
		return nil
	}
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return wrapErr("put responses", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	stmt, err := tx.PrepareContext(ctx, insertResponseSQL)
	if err != nil {
		return wrapErr("put responses", err)
	}
	defer stmt.Close()
	for _, r := range rs {
		if _, err = stmt.ExecContext(ctx, r.ID, r.KeyID, r.PreviousID, r.Model, toMS(r.CreatedAt), r.Input, r.Response); err != nil {
			return wrapErr("put responses", err)
		}
	}
	if err = tx.Commit(); err != nil {
		return wrapErr("put responses", err)
	}
	return nil
}

// GetResponse returns the response stored under id, or ErrNotFound.
func (d *DB) GetResponse(ctx context.Context, id string) (StoredResponse, error) {
	r := StoredResponse{ID: id}
	var created int64
	err := d.r.QueryRowContext(ctx, `SELECT key_id, previous_id, model, created_at, input, response
		FROM responses WHERE id = ?`, id).Scan(&r.KeyID, &r.PreviousID, &r.Model, &created, &r.Input, &r.Response)
	if err != nil {
		return StoredResponse{}, wrapErr("get response", err)
	}
	r.CreatedAt = fromMS(created)
	return r, nil
}

// DeleteResponse deletes the response stored under id, or returns ErrNotFound.
func (d *DB) DeleteResponse(ctx context.Context, id string) error {
	res, err := d.w.ExecContext(ctx, `DELETE FROM responses WHERE id = ?`, id)
	if err != nil {
		return wrapErr("delete response", err)
	}
	return affected("delete response", res)
}

// PruneResponses deletes responses created before before and returns how many went.
func (d *DB) PruneResponses(ctx context.Context, before time.Time) (int64, error) {
	res, err := d.w.ExecContext(ctx, `DELETE FROM responses WHERE created_at < ?`, toMS(before))
	if err != nil {
		return 0, wrapErr("prune responses", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrapErr("prune responses", err)
	}
	return n, nil
}
