-- +goose Up
-- A provider's own certificate authorities (PEM), for self-hosted upstreams behind a private
-- CA; empty: the system's roots only.
ALTER TABLE providers ADD COLUMN ca_cert TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE providers DROP COLUMN ca_cert;
