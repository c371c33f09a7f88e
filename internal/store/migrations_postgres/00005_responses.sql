-- +goose Up
-- Responses kept for the Responses API (store: true): a later request continues the
-- conversation with previous_response_id. Items are JSON arrays; key_id scopes every read.
CREATE TABLE responses (
    id          TEXT PRIMARY KEY,
    key_id      TEXT NOT NULL,
    previous_id TEXT NOT NULL DEFAULT '',
    model       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    input       TEXT NOT NULL,
    response    TEXT NOT NULL
);
CREATE INDEX responses_created ON responses (created_at);

-- +goose Down
DROP TABLE responses;
