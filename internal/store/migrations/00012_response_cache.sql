-- +goose Up
-- Response cache: per-key and per-alias TTLs (NULL: off), whether an alias's cached answers
-- are shared by every key and whether temperature > 0 answers are cached; each request's
-- cache hit and the cost it saved, rolled up per hour; and the cache entries themselves
-- (internal/store/respcache.go).
ALTER TABLE virtual_keys ADD COLUMN cache_ttl_s INTEGER;
ALTER TABLE deployments ADD COLUMN cache_ttl_s INTEGER;
ALTER TABLE deployments ADD COLUMN cache_shared INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deployments ADD COLUMN cache_nondeterministic INTEGER NOT NULL DEFAULT 0;
ALTER TABLE request_logs ADD COLUMN cache_hit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE request_logs ADD COLUMN saved REAL NOT NULL DEFAULT 0;
ALTER TABLE usage_hourly ADD COLUMN cache_hits INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_hourly ADD COLUMN saved REAL NOT NULL DEFAULT 0;
-- Partial: a summary reads hits from these alone, which stay empty while no cache is on.
CREATE INDEX request_logs_cache_hit ON request_logs (time) WHERE cache_hit = 1;
CREATE INDEX usage_hourly_cache_hits ON usage_hourly (hour) WHERE cache_hits > 0;
CREATE TABLE response_cache (
    key        TEXT    NOT NULL PRIMARY KEY,
    value      BLOB    NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL
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
