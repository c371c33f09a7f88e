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
func (d *DB) PutResponses(ctx context.Context, rs []StoredResponse) error {
	return d.insertBatch(ctx, "put responses", insertResponseSQL, len(rs), func(i int) []any {
		r := &rs[i]
		return []any{r.ID, r.KeyID, r.PreviousID, r.Model, toMS(r.CreatedAt), r.Input, r.Response}
	})
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
	return d.deleteRow(ctx, "delete response", "responses", id)
}

// PruneResponses deletes responses created before before and returns how many went.
func (d *DB) PruneResponses(ctx context.Context, before time.Time) (int64, error) {
	return d.execCount(ctx, "prune responses", `DELETE FROM responses WHERE created_at < ?`, toMS(before))
}
