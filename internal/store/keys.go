package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/conduit-gw/conduit/internal/config"
)

const keyCols = `id, name, key_prefix, key_hash, max_budget, budget_duration, rpm, rpd, tpm,
	allowed_models, expires_at, enabled, metadata, cache_ttl_s, created_at, updated_at`

func scanKey(s scanner) (config.Key, error) {
	var (
		k                config.Key
		maxBudget        sql.NullFloat64
		rpm, rpd, tpm    sql.NullInt64
		cacheTTL         sql.NullInt64
		expires          sql.NullInt64
		allowed          string
		metadata         sql.NullString
		created, updated int64
	)
	if err := s.Scan(&k.ID, &k.Name, &k.KeyPrefix, &k.KeyHash, &maxBudget, &k.BudgetDuration,
		&rpm, &rpd, &tpm, &allowed, &expires, &k.Enabled, &metadata, &cacheTTL, &created,
		&updated); err != nil {
		return config.Key{}, err
	}
	k.MaxBudget = ptrFloat(maxBudget)
	k.RPM, k.RPD, k.TPM = ptrInt(rpm), ptrInt(rpd), ptrInt(tpm)
	k.CacheTTLS = ptrInt(cacheTTL)
	k.ExpiresAt = ptrMS(expires)
	k.CreatedAt, k.UpdatedAt = fromMS(created), fromMS(updated)
	k.AllowedModels = []string{}
	if allowed != "" {
		if err := json.Unmarshal([]byte(allowed), &k.AllowedModels); err != nil {
			return config.Key{}, fmt.Errorf("key %s: allowed_models: %w", k.ID, err)
		}
		if k.AllowedModels == nil {
			k.AllowedModels = []string{}
		}
	}
	k.Metadata = json.RawMessage(`{}`)
	if metadata.Valid && metadata.String != "" && metadata.String != "null" {
		k.Metadata = json.RawMessage(metadata.String)
	}
	return k, nil
}

// keyArgs encodes the JSON columns of k.
func keyArgs(k *config.Key) (allowed string, metadata sql.NullString, err error) {
	models := k.AllowedModels
	if models == nil {
		models = []string{}
	}
	b, err := json.Marshal(models)
	if err != nil {
		return "", sql.NullString{}, fmt.Errorf("allowed_models: %w", err)
	}
	if metadata, err = compactJSON(k.Metadata); err != nil {
		return "", sql.NullString{}, fmt.Errorf("metadata is not valid JSON: %w", err)
	}
	return string(b), metadata, nil
}

var keys = table[config.Key]{name: "virtual_keys", noun: "key", cols: keyCols, prefix: "key",
	scan: scanKey}

// ListKeys returns every virtual key, oldest first.
func (d *DB) ListKeys(ctx context.Context) ([]config.Key, error) { return keys.list(ctx, d) }

// GetKey returns one virtual key or ErrNotFound.
func (d *DB) GetKey(ctx context.Context, id string) (config.Key, error) {
	return keys.get(ctx, d, id)
}

// KeyHashKnown reports whether a virtual key with this hash (KeyHash's form) is stored.
func (d *DB) KeyHashKnown(ctx context.Context, hash string) (bool, error) {
	var n int
	if err := d.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM virtual_keys WHERE key_hash = ?`, hash).Scan(&n); err != nil {
		return false, wrapErr("look up key hash", err)
	}
	return n > 0, nil
}

// CreateKey inserts k, filling in ID (when empty), CreatedAt and UpdatedAt. KeyHash is
// required; a duplicate hash gives ErrConflict.
func (d *DB) CreateKey(ctx context.Context, k *config.Key) error {
	if k.KeyHash == "" {
		return errors.New("store: create key: empty key hash")
	}
	allowed, metadata, err := keyArgs(k)
	if err != nil {
		return fmt.Errorf("store: create key: %w", err)
	}
	if k.BudgetDuration == "" {
		k.BudgetDuration = config.BudgetTotal
	}
	return keys.create(ctx, d, &k.ID, stamps{&k.CreatedAt, &k.UpdatedAt}, func(ms int64) []any {
		return []any{k.ID, k.Name, k.KeyPrefix, k.KeyHash, nullFloat(k.MaxBudget), k.BudgetDuration,
			nullInt(k.RPM), nullInt(k.RPD), nullInt(k.TPM), allowed, nullMS(k.ExpiresAt), k.Enabled,
			metadata, nullInt(k.CacheTTLS), ms, ms}
	})
}

// UpdateKey overwrites the fields of key k.ID and sets UpdatedAt. An empty KeyHash or
// KeyPrefix keeps the stored one (KeyHash is never serialised, so a key decoded from JSON has
// none). Unknown id gives ErrNotFound.
func (d *DB) UpdateKey(ctx context.Context, k *config.Key) error {
	allowed, metadata, err := keyArgs(k)
	if err != nil {
		return fmt.Errorf("store: update key: %w", err)
	}
	if k.BudgetDuration == "" {
		k.BudgetDuration = config.BudgetTotal
	}
	t := now()
	var (
		created      int64
		prefix, hash string
	)
	err = d.w.QueryRowContext(ctx, `UPDATE virtual_keys SET name = ?,
		key_prefix = COALESCE(NULLIF(?, ''), key_prefix), key_hash = COALESCE(NULLIF(?, ''), key_hash),
		max_budget = ?, budget_duration = ?, rpm = ?, rpd = ?, tpm = ?, allowed_models = ?,
		expires_at = ?, enabled = ?, metadata = ?, cache_ttl_s = ?, updated_at = ?
		WHERE id = ? RETURNING created_at, key_prefix, key_hash`,
		k.Name, k.KeyPrefix, k.KeyHash, nullFloat(k.MaxBudget), k.BudgetDuration,
		nullInt(k.RPM), nullInt(k.RPD), nullInt(k.TPM), allowed, nullMS(k.ExpiresAt), k.Enabled,
		metadata, nullInt(k.CacheTTLS), toMS(t), k.ID).Scan(&created, &prefix, &hash)
	if err != nil {
		return wrapErr("update key", err)
	}
	k.CreatedAt, k.UpdatedAt = fromMS(created), t
	k.KeyPrefix, k.KeyHash = prefix, hash
	return nil
}

// DeleteKey deletes one virtual key. Its request logs are kept.
func (d *DB) DeleteKey(ctx context.Context, id string) error {
	return keys.delete(ctx, d, id)
}
