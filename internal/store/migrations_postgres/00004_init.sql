-- Conduit schema on PostgreSQL: the SQLite schema of migrations 00001-00004 (migrations/) in
-- one step; later migrations take the same number in both directories. Times are BIGINT unix
-- milliseconds (UTC), as in SQLite; booleans are BOOLEAN; JSON columns are TEXT.

-- +goose Up
CREATE TABLE providers (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    type        TEXT    NOT NULL,
    base_url    TEXT    NOT NULL DEFAULT '',
    api_version TEXT    NOT NULL DEFAULT '',
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    timeout_ms  INTEGER NOT NULL DEFAULT 0,
    api_key_set BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);

CREATE TABLE deployments (
    id                  TEXT    PRIMARY KEY,
    alias               TEXT    NOT NULL,
    provider_id         TEXT    NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    provider_model      TEXT    NOT NULL,
    weight              INTEGER NOT NULL DEFAULT 1,
    priority            INTEGER NOT NULL DEFAULT 0,
    supports_vision     BOOLEAN NOT NULL DEFAULT FALSE,
    supports_tools      BOOLEAN NOT NULL DEFAULT FALSE,
    supports_streaming  BOOLEAN NOT NULL DEFAULT FALSE,
    supports_embeddings BOOLEAN NOT NULL DEFAULT FALSE,
    context_window      INTEGER NOT NULL DEFAULT 0,
    enabled             BOOLEAN NOT NULL DEFAULT TRUE,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);
CREATE INDEX deployments_alias ON deployments (alias);
CREATE INDEX deployments_provider ON deployments (provider_id);

CREATE TABLE virtual_keys (
    id              TEXT    PRIMARY KEY,
    name            TEXT    NOT NULL,
    key_prefix      TEXT    NOT NULL DEFAULT '',
    key_hash        TEXT    NOT NULL UNIQUE,
    max_budget      DOUBLE PRECISION,
    budget_duration TEXT    NOT NULL DEFAULT 'total',
    rpm             INTEGER,
    rpd             INTEGER,
    tpm             INTEGER,
    allowed_models  TEXT    NOT NULL DEFAULT '[]',
    expires_at      BIGINT,
    enabled         BOOLEAN NOT NULL DEFAULT TRUE,
    metadata        TEXT,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);

CREATE TABLE model_costs (
    id                    TEXT             PRIMARY KEY,
    model_pattern         TEXT             NOT NULL UNIQUE,
    input_per_mtok        DOUBLE PRECISION NOT NULL DEFAULT 0,
    output_per_mtok       DOUBLE PRECISION NOT NULL DEFAULT 0,
    cached_input_per_mtok DOUBLE PRECISION,
    per_image             DOUBLE PRECISION,
    created_at            BIGINT           NOT NULL,
    updated_at            BIGINT           NOT NULL
);

CREATE TABLE kv (
    key        TEXT   PRIMARY KEY,
    value      TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE request_logs (
    id                TEXT             PRIMARY KEY,
    time              BIGINT           NOT NULL,
    key_id            TEXT             NOT NULL DEFAULT '',
    endpoint          TEXT             NOT NULL DEFAULT '',
    alias             TEXT             NOT NULL DEFAULT '',
    provider_id       TEXT             NOT NULL DEFAULT '',
    provider_model    TEXT             NOT NULL DEFAULT '',
    status            INTEGER          NOT NULL DEFAULT 0,
    error_code        TEXT             NOT NULL DEFAULT '',
    error_message     TEXT             NOT NULL DEFAULT '',
    latency_ms        DOUBLE PRECISION NOT NULL DEFAULT 0,
    ttfb_ms           DOUBLE PRECISION NOT NULL DEFAULT 0,
    overhead_ms       DOUBLE PRECISION NOT NULL DEFAULT 0,
    prompt_tokens     BIGINT           NOT NULL DEFAULT 0,
    completion_tokens BIGINT           NOT NULL DEFAULT 0,
    cached_tokens     BIGINT           NOT NULL DEFAULT 0,
    cost              DOUBLE PRECISION NOT NULL DEFAULT 0,
    stream            BOOLEAN          NOT NULL DEFAULT FALSE,
    estimated         BOOLEAN          NOT NULL DEFAULT FALSE,
    attempts          INTEGER          NOT NULL DEFAULT 0,
    client_ip         TEXT             NOT NULL DEFAULT ''
);
CREATE INDEX request_logs_time ON request_logs (time, id);
CREATE INDEX request_logs_key_time ON request_logs (key_id, time, id) INCLUDE (status, cost);
CREATE INDEX request_logs_alias_time ON request_logs (alias, time, id);
CREATE INDEX request_logs_error_time ON request_logs (status, time, id) WHERE status >= 400;

CREATE TABLE request_bodies (
    id       TEXT PRIMARY KEY,
    request  TEXT NOT NULL DEFAULT '',
    response TEXT NOT NULL DEFAULT ''
);

CREATE TABLE notifications (
    id          TEXT    PRIMARY KEY,
    time        BIGINT  NOT NULL,
    type        TEXT    NOT NULL,
    severity    TEXT    NOT NULL DEFAULT '',
    title       TEXT    NOT NULL DEFAULT '',
    body        TEXT    NOT NULL DEFAULT '',
    key_id      TEXT    NOT NULL DEFAULT '',
    provider_id TEXT    NOT NULL DEFAULT '',
    read        BOOLEAN NOT NULL DEFAULT FALSE,
    dedupe      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX notifications_time ON notifications (time, id);
CREATE INDEX notifications_unread ON notifications (time, id) WHERE read = FALSE;

CREATE TABLE audit_log (
    id          TEXT   PRIMARY KEY,
    time        BIGINT NOT NULL,
    actor       TEXT   NOT NULL DEFAULT '',
    client_ip   TEXT   NOT NULL DEFAULT '',
    action      TEXT   NOT NULL,
    resource    TEXT   NOT NULL DEFAULT '',
    resource_id TEXT   NOT NULL DEFAULT '',
    changes     TEXT
);
CREATE INDEX audit_log_time ON audit_log (time, id);
CREATE INDEX audit_log_resource_time ON audit_log (resource, time, id);

-- Hourly usage rollup of request_logs (see migrations/00003_usage_hourly.sql). Writers from
-- several instances upsert it concurrently: the totals are added in the upsert, the packed
-- stats merged under the row's lock (internal/store/postgres.go).
CREATE TABLE usage_hourly (
    hour              BIGINT           NOT NULL,
    key_id            TEXT             NOT NULL,
    alias             TEXT             NOT NULL,
    provider_id       TEXT             NOT NULL,
    requests          BIGINT           NOT NULL DEFAULT 0,
    prompt_tokens     BIGINT           NOT NULL DEFAULT 0,
    completion_tokens BIGINT           NOT NULL DEFAULT 0,
    cost              DOUBLE PRECISION NOT NULL DEFAULT 0,
    spend             DOUBLE PRECISION NOT NULL DEFAULT 0,
    errors            BIGINT           NOT NULL DEFAULT 0,
    stats             BYTEA            NOT NULL DEFAULT ''::bytea,
    PRIMARY KEY (hour, key_id, alias, provider_id)
);

-- +goose Down
DROP TABLE usage_hourly;
DROP TABLE audit_log;
DROP TABLE notifications;
DROP TABLE request_bodies;
DROP TABLE request_logs;
DROP TABLE kv;
DROP TABLE model_costs;
DROP TABLE virtual_keys;
DROP TABLE deployments;
DROP TABLE providers;
