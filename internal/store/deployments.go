package store

import (
	"context"
	"database/sql"

	"github.com/conduit-gw/conduit/internal/config"
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

var deployments = table[config.Deployment]{name: "deployments", noun: "deployment",
	cols: deploymentCols, prefix: "dep", scan: scanDeployment}

// ListDeployments returns every deployment (model alias row), oldest first.
func (d *DB) ListDeployments(ctx context.Context) ([]config.Deployment, error) {
	return deployments.list(ctx, d)
}

// GetDeployment returns one deployment or ErrNotFound.
func (d *DB) GetDeployment(ctx context.Context, id string) (config.Deployment, error) {
	return deployments.get(ctx, d, id)
}

// CreateDeployment inserts m, filling in ID (when empty), CreatedAt and UpdatedAt.
// An unknown provider_id gives ErrForeignKey.
func (d *DB) CreateDeployment(ctx context.Context, m *config.Deployment) error {
	return deployments.create(ctx, d, &m.ID, stamps{&m.CreatedAt, &m.UpdatedAt}, func(ms int64) []any {
		return []any{m.ID, m.Alias, m.ProviderID, m.ProviderModel, m.Weight, m.Priority,
			m.SupportsVision, m.SupportsTools, m.SupportsStreaming, m.SupportsEmbeddings,
			m.ContextWindow, m.SupportsPrefill, nullInt(m.FirstTokenTimeoutMS),
			nullInt(m.StreamIdleTimeoutMS), nullInt(m.CacheTTLS), m.CacheShared,
			m.CacheNondeterministic, m.Enabled, ms, ms}
	})
}

// UpdateDeployment overwrites every field of the deployment m.ID and sets UpdatedAt.
// Unknown id gives ErrNotFound; an unknown provider_id ErrForeignKey.
func (d *DB) UpdateDeployment(ctx context.Context, m *config.Deployment) error {
	return deployments.update(ctx, d, m.ID, stamps{&m.CreatedAt, &m.UpdatedAt}, `alias = ?,
		provider_id = ?, provider_model = ?, weight = ?, priority = ?, supports_vision = ?,
		supports_tools = ?, supports_streaming = ?, supports_embeddings = ?, context_window = ?,
		supports_prefill = ?, first_token_timeout_ms = ?, stream_idle_timeout_ms = ?,
		cache_ttl_s = ?, cache_shared = ?, cache_nondeterministic = ?, enabled = ?`,
		m.Alias, m.ProviderID, m.ProviderModel, m.Weight, m.Priority, m.SupportsVision,
		m.SupportsTools, m.SupportsStreaming, m.SupportsEmbeddings, m.ContextWindow,
		m.SupportsPrefill, nullInt(m.FirstTokenTimeoutMS), nullInt(m.StreamIdleTimeoutMS),
		nullInt(m.CacheTTLS), m.CacheShared, m.CacheNondeterministic, m.Enabled)
}

// DeleteDeployment deletes one deployment.
func (d *DB) DeleteDeployment(ctx context.Context, id string) error {
	return deployments.delete(ctx, d, id)
}
