-- +goose Up
-- Version parity with PostgreSQL, which widens virtual_keys.rpm/rpd/tpm to BIGINT here; SQLite's
-- INTEGER already holds 64 bits.
SELECT 1;

-- +goose Down
SELECT 1;
