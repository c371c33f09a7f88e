-- +goose Up
-- Failover: whether a deployment continues a trailing assistant message (a stream cut
-- mid-answer is continued on it), per-deployment stream limits (NULL: the router's), and
-- each request's attempts (JSON: deployment, status, error, duration) in the request log.
ALTER TABLE deployments ADD COLUMN supports_prefill INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deployments ADD COLUMN first_token_timeout_ms INTEGER;
ALTER TABLE deployments ADD COLUMN stream_idle_timeout_ms INTEGER;
ALTER TABLE request_logs ADD COLUMN attempt_log TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE request_logs DROP COLUMN attempt_log;
ALTER TABLE deployments DROP COLUMN stream_idle_timeout_ms;
ALTER TABLE deployments DROP COLUMN first_token_timeout_ms;
ALTER TABLE deployments DROP COLUMN supports_prefill;
