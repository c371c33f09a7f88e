-- +goose Up
-- The OpenTelemetry trace of a request, when tracing was on ('' otherwise).
ALTER TABLE request_logs ADD COLUMN trace_id TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE request_logs DROP COLUMN trace_id;
