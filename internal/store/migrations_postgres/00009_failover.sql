-- +goose Up
-- Failover (as migrations/00009): whether a deployment continues a trailing assistant
-- message, per-deployment stream limits (NULL: the router's), each request's attempts (JSON).
ALTER TABLE deployments ADD COLUMN supports_prefill BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE deployments ADD COLUMN first_token_timeout_ms INTEGER;
ALTER TABLE deployments ADD COLUMN stream_idle_timeout_ms INTEGER;
ALTER TABLE request_logs ADD COLUMN attempt_log TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE request_logs DROP COLUMN attempt_log;
ALTER TABLE deployments DROP COLUMN stream_idle_timeout_ms;
ALTER TABLE deployments DROP COLUMN first_token_timeout_ms;
ALTER TABLE deployments DROP COLUMN supports_prefill;
