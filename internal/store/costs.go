package store

import (
	"context"
	"database/sql"

	"github.com/conduit-gw/conduit/internal/config"
)

const costCols = `id, model_pattern, input_per_mtok, output_per_mtok, cached_input_per_mtok,
	per_image, per_second, per_1k_chars, per_search_unit, created_at, updated_at`

func scanCost(s scanner) (config.Cost, error) {
	var (
		c                config.Cost
		cached, image    sql.NullFloat64
		sec, chars, su   sql.NullFloat64
		created, updated int64
	)
	if err := s.Scan(&c.ID, &c.ModelPattern, &c.InputPerMTok, &c.OutputPerMTok, &cached, &image,
		&sec, &chars, &su, &created, &updated); err != nil {
		return config.Cost{}, err
	}
	c.CachedInputPerMTok, c.PerImage = ptrFloat(cached), ptrFloat(image)
	c.PerSecond, c.Per1KChars, c.PerSearchUnit = ptrFloat(sec), ptrFloat(chars), ptrFloat(su)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return c, nil
}

var costs = table[config.Cost]{name: "model_costs", noun: "cost", cols: costCols, prefix: "cost", scan: scanCost}

// ListCosts returns every model cost row, oldest first.
func (d *DB) ListCosts(ctx context.Context) ([]config.Cost, error) { return costs.list(ctx, d) }

// GetCost returns one cost row or ErrNotFound.
func (d *DB) GetCost(ctx context.Context, id string) (config.Cost, error) {
	return costs.get(ctx, d, id)
}

// CreateCost inserts c, filling in ID (when empty), CreatedAt and UpdatedAt.
// A duplicate model_pattern gives ErrConflict.
func (d *DB) CreateCost(ctx context.Context, c *config.Cost) error {
	return costs.create(ctx, d, &c.ID, stamps{&c.CreatedAt, &c.UpdatedAt}, func(ms int64) []any {
		return []any{c.ID, c.ModelPattern, c.InputPerMTok, c.OutputPerMTok,
			nullFloat(c.CachedInputPerMTok), nullFloat(c.PerImage), nullFloat(c.PerSecond), nullFloat(c.Per1KChars),
			nullFloat(c.PerSearchUnit), ms, ms}
	})
}

// UpdateCost overwrites every field of cost row c.ID and sets UpdatedAt.
// Unknown id gives ErrNotFound, a duplicate model_pattern ErrConflict.
func (d *DB) UpdateCost(ctx context.Context, c *config.Cost) error {
	return costs.update(ctx, d, c.ID, stamps{&c.CreatedAt, &c.UpdatedAt}, `model_pattern = ?, input_per_mtok = ?,
		output_per_mtok = ?, cached_input_per_mtok = ?, per_image = ?, per_second = ?, per_1k_chars = ?,
		per_search_unit = ?`,
		c.ModelPattern, c.InputPerMTok, c.OutputPerMTok, nullFloat(c.CachedInputPerMTok),
		nullFloat(c.PerImage), nullFloat(c.PerSecond), nullFloat(c.Per1KChars), nullFloat(c.PerSearchUnit))
}

// DeleteCost deletes one cost row.
func (d *DB) DeleteCost(ctx context.Context, id string) error { return costs.delete(ctx, d, id) }
