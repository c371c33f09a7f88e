-- Conduit initial schema. Times are INTEGER unix milliseconds (UTC); booleans are INTEGER 0/1;
-- JSON columns are TEXT.

-- +goose Up
CREATE TABLE providers (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    type        TEXT    NOT NULL,
    base_url    TEXT    NOT NULL DEFAULT '',
    api_version TEXT    NOT NULL DEFAULT '',
    enabled     INTEGER NOT NULL DEFAULT 1,
    timeout_ms  INTEGER NOT NULL DEFAULT 0,
    api_key_set INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE deployments (
    id                  TEXT    PRIMARY KEY,
    alias               TEXT    NOT NULL,
    provider_id         TEXT    NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    provider_model      TEXT    NOT NULL,
    weight              INTEGER NOT NULL DEFAULT 1,
    priority            INTEGER NOT NULL DEFAULT 0,
    supports_vision     INTEGER NOT NULL DEFAULT 0,
    supports_tools      INTEGER NOT NULL DEFAULT 0,
    supports_streaming  INTEGER NOT NULL DEFAULT 0,
    supports_embeddings INTEGER NOT NULL DEFAULT 0,
    context_window      INTEGER NOT NULL DEFAULT 0,
    enabled             INTEGER NOT NULL DEFAULT 1,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX deployments_alias ON deployments (alias);
CREATE INDEX deployments_provider ON deployments (provider_id);

CREATE TABLE virtual_keys (
    id              TEXT    PRIMARY KEY,
    name            TEXT    NOT NULL,
    key_prefix      TEXT    NOT NULL DEFAULT '',
    key_hash        TEXT    NOT NULL UNIQUE,
    max_budget      REAL,
    budget_duration TEXT    NOT NULL DEFAULT 'total',
    rpm             INTEGER,
    rpd             INTEGER,
    tpm             INTEGER,
    allowed_models  TEXT    NOT NULL DEFAULT '[]',
    expires_at      INTEGER,
    enabled         INTEGER NOT NULL DEFAULT 1,
    metadata        TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE model_costs (
    id                    TEXT    PRIMARY KEY,
    model_pattern         TEXT    NOT NULL UNIQUE,
    input_per_mtok        REAL    NOT NULL DEFAULT 0,
    output_per_mtok       REAL    NOT NULL DEFAULT 0,
    cached_input_per_mtok REAL,
    per_image             REAL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);

CREATE TABLE kv (
    key        TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE request_logs (
    id                TEXT    PRIMARY KEY,
    time              INTEGER NOT NULL,
    key_id            TEXT    NOT NULL DEFAULT '',
    endpoint          TEXT    NOT NULL DEFAULT '',
    alias             TEXT    NOT NULL DEFAULT '',
    provider_id       TEXT    NOT NULL DEFAULT '',
    provider_model    TEXT    NOT NULL DEFAULT '',
    status            INTEGER NOT NULL DEFAULT 0,
    error_code        TEXT    NOT NULL DEFAULT '',
    error_message     TEXT    NOT NULL DEFAULT '',
    latency_ms        REAL    NOT NULL DEFAULT 0,
    ttfb_ms           REAL    NOT NULL DEFAULT 0,
    overhead_ms       REAL    NOT NULL DEFAULT 0,
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cached_tokens     INTEGER NOT NULL DEFAULT 0,
    cost              REAL    NOT NULL DEFAULT 0,
    stream            INTEGER NOT NULL DEFAULT 0,
    estimated         INTEGER NOT NULL DEFAULT 0,
    attempts          INTEGER NOT NULL DEFAULT 0,
    client_ip         TEXT    NOT NULL DEFAULT ''
);
-- Every index has (time, id) after its equality column, so "newest first" pages are read
-- straight off the index. The key index also covers status and cost: KeySpend (rebuilding
-- spend counters at start) then never touches the table.
CREATE INDEX request_logs_time ON request_logs (time, id);
CREATE INDEX request_logs_key_time ON request_logs (key_id, time, id, status, cost);
CREATE INDEX request_logs_alias_time ON request_logs (alias, time, id);
CREATE INDEX request_logs_provider_time ON request_logs (provider_id, time, id);
CREATE INDEX request_logs_status_time ON request_logs (status, time, id);

-- Optional request/response bodies, keyed by the request log id. No foreign key: bodies and
-- logs are flushed by an asynchronous writer, and PruneLogs deletes both together.
CREATE TABLE request_bodies (
    id       TEXT PRIMARY KEY,
    request  TEXT NOT NULL DEFAULT '',
    response TEXT NOT NULL DEFAULT ''
);

CREATE TABLE notifications (
    id          TEXT    PRIMARY KEY,
    time        INTEGER NOT NULL,
    type        TEXT    NOT NULL,
    severity    TEXT    NOT NULL DEFAULT '',
    title       TEXT    NOT NULL DEFAULT '',
    body        TEXT    NOT NULL DEFAULT '',
    key_id      TEXT    NOT NULL DEFAULT '',
    provider_id TEXT    NOT NULL DEFAULT '',
    read        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notifications_time ON notifications (time, id);
CREATE INDEX notifications_unread ON notifications (time, id) WHERE read = 0;

CREATE TABLE audit_log (
    id          TEXT    PRIMARY KEY,
    time        INTEGER NOT NULL,
    actor       TEXT    NOT NULL DEFAULT '',
    client_ip   TEXT    NOT NULL DEFAULT '',
    action      TEXT    NOT NULL,
    resource    TEXT    NOT NULL DEFAULT '',
    resource_id TEXT    NOT NULL DEFAULT '',
    changes     TEXT
);
CREATE INDEX audit_log_time ON audit_log (time, id);
CREATE INDEX audit_log_resource_time ON audit_log (resource, time, id);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE notifications;
DROP TABLE request_bodies;
DROP TABLE request_logs;
DROP TABLE kv;
DROP TABLE model_costs;
DROP TABLE virtual_keys;
DROP TABLE deployments;
DROP TABLE providers;
