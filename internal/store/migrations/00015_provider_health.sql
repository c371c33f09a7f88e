-- +goose Up
-- Each provider's health as the instances sharing the database last reported it (a provider
-- without a row counts as up): the instance whose update flips it raises the provider_health
-- notification, so a change is notified once across the cluster.
CREATE TABLE provider_health (
    provider_id TEXT PRIMARY KEY,
    up INTEGER NOT NULL,
    changed_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE provider_health;
