package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/conduit-gw/conduit/internal/config"
)

// Keys of the kv table.
const (
	kvRouter   = "router"
	kvSettings = "settings"
)

// getJSON decodes the value stored under key into v, which should already hold the defaults
// (fields missing from the stored JSON keep them); a missing key leaves v untouched.
func (d *DB) getJSON(ctx context.Context, key string, v any) error {
	raw, ok, err := d.getKV(ctx, "get "+key, key)
	if err != nil || !ok {
		return err
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return fmt.Errorf("store: get %s: decode: %w", key, err)
	}
	return nil
}

// putKVSQL stores a value under a key, replacing any.
const putKVSQL = `INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)
	ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`

func (d *DB) putJSON(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: put %s: encode: %w", key, err)
	}
	return d.exec(ctx, "put "+key, putKVSQL, key, string(b), toMS(now()))
}

// GetRouter returns the routing configuration, or config.DefaultRouter() if never saved.
func (d *DB) GetRouter(ctx context.Context) (config.Router, error) {
	r := config.DefaultRouter()
	if err := d.getJSON(ctx, kvRouter, &r); err != nil {
		return config.Router{}, err
	}
	if r.Fallbacks == nil {
		r.Fallbacks = map[string][]string{}
	}
	if r.ContextWindowFallbacks == nil {
		r.ContextWindowFallbacks = map[string][]string{}
	}
	return r, nil
}

// PutRouter saves the routing configuration.
func (d *DB) PutRouter(ctx context.Context, r config.Router) error {
	return d.putJSON(ctx, kvRouter, r)
}

// GetSettings returns the product settings, or config.DefaultSettings() if never saved.
func (d *DB) GetSettings(ctx context.Context) (config.Settings, error) {
	s := config.DefaultSettings()
	if err := d.getJSON(ctx, kvSettings, &s); err != nil {
		return config.Settings{}, err
	}
	if s.BudgetAlertPercents == nil {
		s.BudgetAlertPercents = []int{}
	}
	return s, nil
}

// PutSettings saves the product settings.
func (d *DB) PutSettings(ctx context.Context, s config.Settings) error {
	return d.putJSON(ctx, kvSettings, s)
}

// secretPrefix marks the kv rows of the database secrets backend (secrets.OpenDatabase):
// provider API keys sealed with CONDUIT_SECRET_KEY, shared by every instance on the database.
const secretPrefix = "secret:"

// SecretBlob returns the sealed secret stored under name; ok is false when there is none.
func (d *DB) SecretBlob(ctx context.Context, name string) (string, bool, error) {
	return d.getKV(ctx, "get secret", secretPrefix+name)
}

// getKV returns the value stored under key; ok is false when there is none.
func (d *DB) getKV(ctx context.Context, op, key string) (value string, ok bool, err error) {
	err = d.r.QueryRowContext(ctx, `SELECT value FROM kv WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, wrapErr(op, err)
	}
	return value, true, nil
}

// PutSecretBlob stores a sealed secret under name, replacing any.
func (d *DB) PutSecretBlob(ctx context.Context, name, blob string) error {
	return d.exec(ctx, "put secret", putKVSQL, secretPrefix+name, blob, toMS(now()))
}

// DeleteSecretBlob removes the secret stored under name (none is not an error).
func (d *DB) DeleteSecretBlob(ctx context.Context, name string) error {
	return d.exec(ctx, "delete secret", `DELETE FROM kv WHERE key = ?`, secretPrefix+name)
}
