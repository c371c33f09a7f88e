-- +goose Up
-- Each provider's reported health (as migrations/00015): the instance whose update flips it
-- raises the provider_health notification.
CREATE TABLE provider_health (
    provider_id TEXT PRIMARY KEY,
    up BOOLEAN NOT NULL,
    changed_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE provider_health;
