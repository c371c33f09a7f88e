-- +goose Up
-- Hourly usage rollup of request_logs: usage summaries and spend rebuilds read one row per
-- (hour, key, alias, provider) instead of every request. InsertLogs maintains it in the same
-- transaction as the log rows; PruneLogs prunes it with them (internal/store/rollup.go).
--   hour     start of the UTC hour, unix milliseconds
--   errors   requests with status >= 400
--   spend    cost of the requests with status < 400 (what budgets count)
--   stats    prompt_tokens, completion_tokens, errors, cost and a histogram of latency_ms
--            (fixed log-spaced buckets, internal/store/latency.go) packed in one value, which
--            is what usage summaries read (internal/store/stats.go)
CREATE TABLE usage_hourly (
    hour              INTEGER NOT NULL,
    key_id            TEXT    NOT NULL,
    alias             TEXT    NOT NULL,
    provider_id       TEXT    NOT NULL,
    requests          INTEGER NOT NULL DEFAULT 0,
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost              REAL    NOT NULL DEFAULT 0,
    spend             REAL    NOT NULL DEFAULT 0,
    errors            INTEGER NOT NULL DEFAULT 0,
    stats             BLOB    NOT NULL DEFAULT x'',
    PRIMARY KEY (hour, key_id, alias, provider_id)
) WITHOUT ROWID;
-- No secondary index: one scattered by key would be written by nearly every upsert (a third
-- more InsertLogs time on small batches); KeySpend scans the hours it needs instead.

-- Backfill from the existing logs. conduit_stats is an aggregate the store registers on its own
-- connections (internal/store/udf.go): this migration runs from store.Open only.
-- Keep in step with rollupHourSQL in rollup.go.
INSERT INTO usage_hourly (hour, key_id, alias, provider_id, requests, prompt_tokens,
    completion_tokens, cost, spend, errors, stats)
SELECT time - (time % 3600000 + 3600000) % 3600000, key_id, alias, provider_id, COUNT(*),
    SUM(prompt_tokens), SUM(completion_tokens), TOTAL(cost),
    TOTAL(CASE WHEN status < 400 THEN cost ELSE 0 END), SUM(status >= 400),
    conduit_stats(prompt_tokens, completion_tokens, status, cost, latency_ms)
FROM request_logs
GROUP BY 1, 2, 3, 4;

-- +goose Down
DROP TABLE usage_hourly;
