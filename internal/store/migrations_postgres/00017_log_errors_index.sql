-- +goose Up
-- The errors-only filter of the logs page (status >= 400, newest first) reads this partial
-- index in order; only failed requests are written to it.
CREATE INDEX request_logs_errors_time ON request_logs (time, id) WHERE status >= 400;

-- +goose Down
DROP INDEX request_logs_errors_time;
