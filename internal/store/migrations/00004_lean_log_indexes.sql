-- +goose Up
-- Fewer indexes on request_logs: every index is one more b-tree written per logged request.
-- No query reads request_logs by provider (usage by provider reads usage_hourly), and the
-- status filter of the logs page is nearly always an error status: successful requests no
-- longer go into a status index. ListLogs adds "status >= 400" to error filters so that this
-- partial index applies; a filter on a success status reads the time index, where matching
-- rows are the common case.
DROP INDEX request_logs_provider_time;
DROP INDEX request_logs_status_time;
CREATE INDEX request_logs_error_time ON request_logs (status, time, id) WHERE status >= 400;

-- +goose Down
DROP INDEX request_logs_error_time;
CREATE INDEX request_logs_provider_time ON request_logs (provider_id, time, id);
CREATE INDEX request_logs_status_time ON request_logs (status, time, id);
