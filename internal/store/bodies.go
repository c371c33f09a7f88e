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
func (d *DB) InsertBodies(ctx context.Context, bodies []Body) error {
	return d.insertBatch(ctx, "insert bodies", insertBodySQL, len(bodies), func(i int) []any {
		b := &bodies[i]
		if b.ID == "" {
			return nil // a body without its log id can never be found again
		}
		return []any{b.ID, b.Request, b.Response}
	})
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
