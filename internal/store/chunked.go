package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// chunkSizes are the row counts of the prepared multi-row statements, largest first: a batch
// of n rows takes about n/64 + a few statements, and one statement per 64 rows costs far less
// than 64 statements (each opens a cursor on the table and every index). 64 rows × 22
// parameters stays well under SQLite's parameter limit.
var chunkSizes = [...]int{64, 16, 4, 1}

// chunked is one multi-row statement per chunk size, prepared once on the writer pool.
type chunked [len(chunkSizes)]*sql.Stmt

// prepare builds each size's statement with sqlFor(rows).
func (c *chunked) prepare(ctx context.Context, w *conn, what string, sqlFor func(rows int) string) error {
	for i, n := range chunkSizes {
		var err error
		if c[i], err = w.PrepareContext(ctx, sqlFor(n)); err != nil {
			return fmt.Errorf("prepare %s: %w", what, err)
		}
	}
	return nil
}

func (c *chunked) close() error {
	var errs []error
	for _, st := range c {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// chunkedTx hands out a chunked set's statements inside one transaction (Tx.StmtContext
// reuses them on its connection; they close with the transaction).
type chunkedTx struct {
	ctx   context.Context
	tx    *txn
	base  *chunked
	stmts chunked
}

func (c *chunked) in(ctx context.Context, tx *txn) *chunkedTx {
	return &chunkedTx{ctx: ctx, tx: tx, base: c}
}

// chunkIndex returns the index in chunkSizes of the largest size that fits in rows (≥ 1).
func chunkIndex(rows int) int {
	for i, n := range chunkSizes {
		if n <= rows {
			return i
		}
	}
	return len(chunkSizes) - 1
}

// next returns the statement of the largest chunk size that fits in rows (≥ 1), and that size.
func (c *chunkedTx) next(rows int) (*sql.Stmt, int) {
	i := chunkIndex(rows)
	if c.stmts[i] == nil {
		c.stmts[i] = c.tx.StmtContext(c.ctx, c.base[i])
	}
	return c.stmts[i], chunkSizes[i]
}

// writeValues writes the placeholders of rows rows of cols values: "(?, ?), (?, ?)".
func writeValues(b *strings.Builder, rows, cols int) {
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
}
