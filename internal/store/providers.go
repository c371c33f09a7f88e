package store

import (
	"context"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/ids"
)

const providerCols = `id, name, type, base_url, api_version, enabled, timeout_ms, api_key_set,
	created_at, updated_at, responses_api, ca_cert`

func scanProvider(s scanner) (config.Provider, error) {
	var (
		p                config.Provider
		created, updated int64
	)
	err := s.Scan(&p.ID, &p.Name, &p.Type, &p.BaseURL, &p.APIVersion, &p.Enabled, &p.TimeoutMS,
		&p.APIKeySet, &created, &updated, &p.ResponsesAPI, &p.CACert)
	p.CreatedAt, p.UpdatedAt = fromMS(created), fromMS(updated)
	return p, err
}

// ListProviders returns every provider, oldest first.
func (d *DB) ListProviders(ctx context.Context) ([]config.Provider, error) {
	return queryAll(ctx, d.r, "list providers", `SELECT `+providerCols+` FROM providers ORDER BY created_at, id`, scanProvider)
}

// GetProvider returns one provider or ErrNotFound.
func (d *DB) GetProvider(ctx context.Context, id string) (config.Provider, error) {
	return queryOne(ctx, d.r, "get provider", `SELECT `+providerCols+` FROM providers WHERE id = ?`, scanProvider, id)
}

// CreateProvider inserts p, filling in ID (when empty), CreatedAt and UpdatedAt.
// A duplicate name gives ErrConflict.
func (d *DB) CreateProvider(ctx context.Context, p *config.Provider) error {
	if p.ID == "" {
		p.ID = ids.New("prov")
	}
	t := now()
	_, err := d.w.ExecContext(ctx, `INSERT INTO providers (`+providerCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Name, p.Type, p.BaseURL, p.APIVersion, p.Enabled, p.TimeoutMS, p.APIKeySet,
		toMS(t), toMS(t), p.ResponsesAPI, p.CACert)
	if err != nil {
		return wrapErr("create provider", err)
	}
	p.CreatedAt, p.UpdatedAt = t, t
	return nil
}

// UpdateProvider overwrites every field of the provider p.ID and sets UpdatedAt (CreatedAt is
// read back from the database). Unknown id gives ErrNotFound, a duplicate name ErrConflict.
func (d *DB) UpdateProvider(ctx context.Context, p *config.Provider) error {
	t := now()
	var created int64
	err := d.w.QueryRowContext(ctx, `UPDATE providers SET name = ?, type = ?, base_url = ?,
		api_version = ?, enabled = ?, timeout_ms = ?, api_key_set = ?, updated_at = ?, responses_api = ?,
		ca_cert = ? WHERE id = ? RETURNING created_at`,
		p.Name, p.Type, p.BaseURL, p.APIVersion, p.Enabled, p.TimeoutMS, p.APIKeySet, toMS(t),
		p.ResponsesAPI, p.CACert, p.ID).Scan(&created)
	if err != nil {
		return wrapErr("update provider", err)
	}
	p.CreatedAt, p.UpdatedAt = fromMS(created), t
	return nil
}

// DeleteProvider deletes a provider and, by cascade, its deployments.
func (d *DB) DeleteProvider(ctx context.Context, id string) error {
	res, err := d.w.ExecContext(ctx, `DELETE FROM providers WHERE id = ?`, id)
	if err != nil {
		return wrapErr("delete provider", err)
	}
	return affected("delete provider", res)
}
