package store

import (
	"context"
	"strings"
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

const responseCols = `id, key_id, previous_id, model, created_at, input, response`

// responseColCount is the number of columns in responseCols.
const responseColCount = 7

// putResponsesSQL inserts n responses; one already stored under its id gets the new response
// object. No two of the n may share an id (PostgreSQL refuses to update a row twice in one
// statement): PutResponses merges them first.
func putResponsesSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO responses (` + responseCols + `) VALUES `)
	writeValues(&b, n, responseColCount)
	b.WriteString(` ON CONFLICT (id) DO UPDATE SET response = excluded.response WHERE responses.key_id = excluded.key_id`)
	return b.String()
}

// PutResponses writes a batch of responses in one transaction, up to 64 rows per statement;
// one already stored under its id gets the new response object when the same key writes it.
// A write of an id stored by another key (an upstream that reuses its ids) changes nothing:
// the stored response stays its key's, never showing another key's answer. Within the batch,
// a later write of an id counts as coming after an earlier one: the row is the first write's
// with its key's last response object, as if they had been written one by one.
func (d *DB) PutResponses(ctx context.Context, rs []StoredResponse) error {
	rs = mergeResponses(rs)
	if len(rs) == 0 {
		return nil
	}
	return d.inTx(ctx, "put responses", func(tx *txn) error {
		stmts := d.responses.in(ctx, tx)
		args := make([]any, 0, responseColCount*min(len(rs), chunkSizes[0]))
		for off := 0; off < len(rs); {
			stmt, n := stmts.next(len(rs) - off)
			args = args[:0]
			for i := range rs[off : off+n] {
				r := &rs[off+i]
				args = append(args, r.ID, r.KeyID, r.PreviousID, r.Model, toMS(r.CreatedAt), r.Input, r.Response)
			}
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				return err
			}
			off += n
		}
		return nil
	})
}

// mergeResponses returns rs with each id once: at its first place, with the last response
// object its key wrote (a write of the id from another key is dropped, as the upsert drops
// it). Without duplicates it is rs itself; otherwise a new slice (rs is not modified).
func mergeResponses(rs []StoredResponse) []StoredResponse {
	if len(rs) < 2 {
		return rs
	}
	at := make(map[string]int, len(rs))
	var out []StoredResponse
	for i := range rs {
		j, dup := at[rs[i].ID]
		switch {
		case !dup:
			at[rs[i].ID] = len(at)
			if out != nil {
				out = append(out, rs[i])
			}
		case out == nil:
			out = append(make([]StoredResponse, 0, len(rs)-1), rs[:i]...)
			fallthrough
		default:
			if out[j].KeyID == rs[i].KeyID {
				out[j].Response = rs[i].Response
			}
		}
	}
	if out == nil {
		return rs
	}
	return out
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
