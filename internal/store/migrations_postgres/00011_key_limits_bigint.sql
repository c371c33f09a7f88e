-- +goose Up
-- A key's rpm, rpd and tpm may exceed 32 bits (SQLite's INTEGER already holds 64).
ALTER TABLE virtual_keys ALTER COLUMN rpm TYPE BIGINT;
ALTER TABLE virtual_keys ALTER COLUMN rpd TYPE BIGINT;
ALTER TABLE virtual_keys ALTER COLUMN tpm TYPE BIGINT;

-- +goose Down
ALTER TABLE virtual_keys ALTER COLUMN rpm TYPE INTEGER;
ALTER TABLE virtual_keys ALTER COLUMN rpd TYPE INTEGER;
ALTER TABLE virtual_keys ALTER COLUMN tpm TYPE INTEGER;
