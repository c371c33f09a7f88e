package store

import (
	"context"

	"github.com/conduit-gw/conduit/internal/config"
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

var providers = table[config.Provider]{name: "providers", noun: "provider", cols: providerCols,
	prefix: "prov", scan: scanProvider}

// ListProviders returns every provider, oldest first.
func (d *DB) ListProviders(ctx context.Context) ([]config.Provider, error) {
	return providers.list(ctx, d)
}

// GetProvider returns one provider or ErrNotFound.
func (d *DB) GetProvider(ctx context.Context, id string) (config.Provider, error) {
	return providers.get(ctx, d, id)
}

// CreateProvider inserts p, filling in ID (when empty), CreatedAt and UpdatedAt.
// A duplicate name gives ErrConflict.
func (d *DB) CreateProvider(ctx context.Context, p *config.Provider) error {
	return providers.create(ctx, d, &p.ID, stamps{&p.CreatedAt, &p.UpdatedAt}, func(ms int64) []any {
		return []any{p.ID, p.Name, p.Type, p.BaseURL, p.APIVersion, p.Enabled, p.TimeoutMS,
			p.APIKeySet, ms, ms, p.ResponsesAPI, p.CACert}
	})
}

// UpdateProvider overwrites every field of the provider p.ID and sets UpdatedAt (CreatedAt is
// read back from the database). Unknown id gives ErrNotFound, a duplicate name ErrConflict.
func (d *DB) UpdateProvider(ctx context.Context, p *config.Provider) error {
	return providers.update(ctx, d, p.ID, stamps{&p.CreatedAt, &p.UpdatedAt}, `name = ?, type = ?, base_url = ?,
		api_version = ?, enabled = ?, timeout_ms = ?, api_key_set = ?, responses_api = ?,
		ca_cert = ?`,
		p.Name, p.Type, p.BaseURL, p.APIVersion, p.Enabled, p.TimeoutMS, p.APIKeySet,
		p.ResponsesAPI, p.CACert)
}

// DeleteProvider deletes a provider and, by cascade, its deployments.
func (d *DB) DeleteProvider(ctx context.Context, id string) error {
	return providers.delete(ctx, d, id)
}
