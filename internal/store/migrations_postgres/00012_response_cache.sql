-- +goose Up
-- Response cache (as migrations/00012): per-key and per-alias TTLs (NULL: off), sharing and
-- temperature opt-ins, each request's cache hit and saved cost (rolled up per hour), entries.
ALTER TABLE virtual_keys ADD COLUMN cache_ttl_s INTEGER;
ALTER TABLE deployments ADD COLUMN cache_ttl_s INTEGER;
ALTER TABLE deployments ADD COLUMN cache_shared BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE deployments ADD COLUMN cache_nondeterministic BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE request_logs ADD COLUMN cache_hit BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE request_logs ADD COLUMN saved DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE usage_hourly ADD COLUMN cache_hits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_hourly ADD COLUMN saved DOUBLE PRECISION NOT NULL DEFAULT 0;
CREATE INDEX request_logs_cache_hit ON request_logs (time) WHERE cache_hit;
CREATE INDEX usage_hourly_cache_hits ON usage_hourly (hour) WHERE cache_hits > 0;
CREATE TABLE response_cache (
    key        TEXT   NOT NULL PRIMARY KEY,
    value      BYTEA  NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT NOT NULL
);
CREATE INDEX response_cache_used ON response_cache (used_at);

-- +goose Down
DROP TABLE response_cache;
DROP INDEX usage_hourly_cache_hits;
DROP INDEX request_logs_cache_hit;
ALTER TABLE usage_hourly DROP COLUMN saved;
ALTER TABLE usage_hourly DROP COLUMN cache_hits;
ALTER TABLE request_logs DROP COLUMN saved;
ALTER TABLE request_logs DROP COLUMN cache_hit;
ALTER TABLE deployments DROP COLUMN cache_nondeterministic;
ALTER TABLE deployments DROP COLUMN cache_shared;
ALTER TABLE deployments DROP COLUMN cache_ttl_s;
ALTER TABLE virtual_keys DROP COLUMN cache_ttl_s;
