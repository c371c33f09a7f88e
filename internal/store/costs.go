package store

import (
	"context"
	"database/sql"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/ids"
)

const costCols = `id, model_pattern, input_per_mtok, output_per_mtok, cached_input_per_mtok,
	per_image, created_at, updated_at`

func scanCost(s scanner) (config.Cost, error) {
	var (
		c                config.Cost
		cached, image    sql.NullFloat64
		created, updated int64
	)
	if err := s.Scan(&c.ID, &c.ModelPattern, &c.InputPerMTok, &c.OutputPerMTok, &cached, &image,
		&created, &updated); err != nil {
		return config.Cost{}, err
	}
	c.CachedInputPerMTok, c.PerImage = ptrFloat(cached), ptrFloat(image)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return c, nil
}

// ListCosts returns every model cost row, oldest first.
func (d *DB) ListCosts(ctx context.Context) ([]config.Cost, error) {
	return queryAll(ctx, d.r, "list costs", `SELECT `+costCols+` FROM model_costs ORDER BY created_at, id`, scanCost)
}

// GetCost returns one cost row or ErrNotFound.
func (d *DB) GetCost(ctx context.Context, id string) (config.Cost, error) {
	return queryOne(ctx, d.r, "get cost", `SELECT `+costCols+` FROM model_costs WHERE id = ?`, scanCost, id)
}

// CreateCost inserts c, filling in ID (when empty), CreatedAt and UpdatedAt.
// A duplicate model_pattern gives ErrConflict.
func (d *DB) CreateCost(ctx context.Context, c *config.Cost) error {
	if c.ID == "" {
		c.ID = ids.New("cost")
	}
	t := now()
	_, err := d.w.ExecContext(ctx, `INSERT INTO model_costs (`+costCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.ModelPattern, c.InputPerMTok, c.OutputPerMTok, nullFloat(c.CachedInputPerMTok),
		nullFloat(c.PerImage), toMS(t), toMS(t))
	if err != nil {
		return wrapErr("create cost", err)
	}
	c.CreatedAt, c.UpdatedAt = t, t
	return nil
}

// UpdateCost overwrites every field of cost row c.ID and sets UpdatedAt.
// Unknown id gives ErrNotFound, a duplicate model_pattern ErrConflict.
func (d *DB) UpdateCost(ctx context.Context, c *config.Cost) error {
	t := now()
	var created int64
	err := d.w.QueryRowContext(ctx, `UPDATE model_costs SET model_pattern = ?,
		input_per_mtok = ?, output_per_mtok = ?, cached_input_per_mtok = ?, per_image = ?,
		updated_at = ?
		WHERE id = ? RETURNING created_at`,
		c.ModelPattern, c.InputPerMTok, c.OutputPerMTok, nullFloat(c.CachedInputPerMTok),
		nullFloat(c.PerImage), toMS(t), c.ID).Scan(&created)
	if err != nil {
		return wrapErr("update cost", err)
	}
	c.CreatedAt, c.UpdatedAt = fromMS(created), t
	return nil
}

// DeleteCost deletes one cost row.
func (d *DB) DeleteCost(ctx context.Context, id string) error {
	res, err := d.w.ExecContext(ctx, `DELETE FROM model_costs WHERE id = ?`, id)
	if err != nil {
		return wrapErr("delete cost", err)
	}
	return affected("delete cost", res)
}
