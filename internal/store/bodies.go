package store

import (
	"context"
)

// Body is the optional request and response body of one request log row (settings.log_bodies).
type Body struct {
	ID       string `json:"id"` // the request log id
	Request  string `json:"request"`
	Response string `json:"response"`
}

const insertBodySQL = `INSERT INTO request_bodies (id, request, response)
	VALUES (?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET request = excluded.request, response = excluded.response`

// InsertBodies writes a batch of bodies in one transaction. A body whose id already exists is
// replaced. Bodies are deleted with their log rows by PruneLogs.
func (d *DB) InsertBodies(ctx context.Context, bodies []Body) (err error) {
	if len(bodies) == 0 {
		return nil
	}
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return wrapErr("insert bodies", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	stmt, err := tx.PrepareContext(ctx, insertBodySQL)
	if err != nil {
		return wrapErr("insert bodies", err)
	}
	defer stmt.Close()
	for _, b := range bodies {
		if b.ID == "" {
			continue // a body without its log id can never be found again
		}
		if _, err = stmt.ExecContext(ctx, b.ID, b.Request, b.Response); err != nil {
			return wrapErr("insert bodies", err)
		}
	}
	if err = tx.Commit(); err != nil {
		return wrapErr("insert bodies", err)
	}
	return nil
}

// GetBody returns the body stored for a request log id, or ErrNotFound.
func (d *DB) GetBody(ctx context.Context, id string) (Body, error) {
	b := Body{ID: id}
	err := d.r.QueryRowContext(ctx,
		`SELECT request, response FROM request_bodies WHERE id = ?`, id).Scan(&b.Request, &b.Response)
	if err != nil {
		return Body{}, wrapErr("get body", err)
	}
	return b, nil
}
