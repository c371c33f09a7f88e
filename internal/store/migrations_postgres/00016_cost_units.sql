-- +goose Up
-- Prices beyond tokens: per second of transcribed audio, per 1,000 characters of speech, per
-- rerank search unit (NULL: not priced).
ALTER TABLE model_costs ADD COLUMN per_second DOUBLE PRECISION;
ALTER TABLE model_costs ADD COLUMN per_1k_chars DOUBLE PRECISION;
ALTER TABLE model_costs ADD COLUMN per_search_unit DOUBLE PRECISION;

-- +goose Down
ALTER TABLE model_costs DROP COLUMN per_search_unit;
ALTER TABLE model_costs DROP COLUMN per_1k_chars;
ALTER TABLE model_costs DROP COLUMN per_second;
