package store

import (
	"context"
	"database/sql"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/ids"
)

const deploymentCols = `id, alias, provider_id, provider_model, weight, priority,
	supports_vision, supports_tools, supports_streaming, supports_embeddings, context_window,
	supports_prefill, first_token_timeout_ms, stream_idle_timeout_ms, cache_ttl_s, cache_shared,
	cache_nondeterministic, enabled, created_at, updated_at`

func scanDeployment(s scanner) (config.Deployment, error) {
	var (
		m                config.Deployment
		firstToken, idle sql.NullInt64
		cacheTTL         sql.NullInt64
		created, updated int64
	)
	err := s.Scan(&m.ID, &m.Alias, &m.ProviderID, &m.ProviderModel, &m.Weight, &m.Priority,
		&m.SupportsVision, &m.SupportsTools, &m.SupportsStreaming, &m.SupportsEmbeddings,
		&m.ContextWindow, &m.SupportsPrefill, &firstToken, &idle, &cacheTTL, &m.CacheShared,
		&m.CacheNondeterministic, &m.Enabled, &created, &updated)
	m.FirstTokenTimeoutMS, m.StreamIdleTimeoutMS = ptrInt(firstToken), ptrInt(idle)
	m.CacheTTLS = ptrInt(cacheTTL)
	m.CreatedAt, m.UpdatedAt = fromMS(created), fromMS(updated)
	return m, err
}

// ListDeployments returns every deployment (model alias row), oldest first.
func (d *DB) ListDeployments(ctx context.Context) ([]config.Deployment, error) {
	return queryAll(ctx, d.r, "list deployments", `SELECT `+deploymentCols+` FROM deployments ORDER BY created_at, id`, scanDeployment)
}

// GetDeployment returns one deployment or ErrNotFound.
func (d *DB) GetDeployment(ctx context.Context, id string) (config.Deployment, error) {
	return queryOne(ctx, d.r, "get deployment", `SELECT `+deploymentCols+` FROM deployments WHERE id = ?`, scanDeployment, id)
}

// CreateDeployment inserts m, filling in ID (when empty), CreatedAt and UpdatedAt.
// An unknown provider_id gives ErrForeignKey.
func (d *DB) CreateDeployment(ctx context.Context, m *config.Deployment) error {
	if m.ID == "" {
		m.ID = ids.New("dep")
	}
	t := now()
	_, err := d.w.ExecContext(ctx, `INSERT INTO deployments (`+deploymentCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.Alias, m.ProviderID, m.ProviderModel, m.Weight, m.Priority,
		m.SupportsVision, m.SupportsTools, m.SupportsStreaming, m.SupportsEmbeddings,
		m.ContextWindow, m.SupportsPrefill, nullInt(m.FirstTokenTimeoutMS),
		nullInt(m.StreamIdleTimeoutMS), nullInt(m.CacheTTLS), m.CacheShared,
		m.CacheNondeterministic, m.Enabled, toMS(t), toMS(t))
	if err != nil {
		return wrapErr("create deployment", err)
	}
	m.CreatedAt, m.UpdatedAt = t, t
	return nil
}

// UpdateDeployment overwrites every field of the deployment m.ID and sets UpdatedAt.
// Unknown id gives ErrNotFound; an unknown provider_id ErrForeignKey.
func (d *DB) UpdateDeployment(ctx context.Context, m *config.Deployment) error {
	t := now()
	var created int64
	err := d.w.QueryRowContext(ctx, `UPDATE deployments SET alias = ?, provider_id = ?,
		provider_model = ?, weight = ?, priority = ?, supports_vision = ?, supports_tools = ?,
		supports_streaming = ?, supports_embeddings = ?, context_window = ?, supports_prefill = ?,
		first_token_timeout_ms = ?, stream_idle_timeout_ms = ?, cache_ttl_s = ?, cache_shared = ?,
		cache_nondeterministic = ?, enabled = ?, updated_at = ?
		WHERE id = ? RETURNING created_at`,
		m.Alias, m.ProviderID, m.ProviderModel, m.Weight, m.Priority, m.SupportsVision,
		m.SupportsTools, m.SupportsStreaming, m.SupportsEmbeddings, m.ContextWindow,
		m.SupportsPrefill, nullInt(m.FirstTokenTimeoutMS), nullInt(m.StreamIdleTimeoutMS),
		nullInt(m.CacheTTLS), m.CacheShared, m.CacheNondeterministic, m.Enabled, toMS(t), m.ID).Scan(&created)
	if err != nil {
		return wrapErr("update deployment", err)
	}
	m.CreatedAt, m.UpdatedAt = fromMS(created), t
	return nil
}

// DeleteDeployment deletes one deployment.
func (d *DB) DeleteDeployment(ctx context.Context, id string) error {
	res, err := d.w.ExecContext(ctx, `DELETE FROM deployments WHERE id = ?`, id)
	if err != nil {
		return wrapErr("delete deployment", err)
	}
	return affected("delete deployment", res)
}
