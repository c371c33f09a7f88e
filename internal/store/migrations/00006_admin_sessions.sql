-- +goose Up
-- The web UI's logins, by the SHA-256 (hex) of their token, so that they survive restarts and
-- work on every instance sharing the database.
CREATE TABLE admin_sessions (
    token_hash TEXT   PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX admin_sessions_expires ON admin_sessions (expires_at);

-- +goose Down
DROP TABLE admin_sessions;
