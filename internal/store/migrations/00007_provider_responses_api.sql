-- +goose Up
-- An openai_compatible provider may also serve OpenAI's Responses API: then Responses
-- requests reach it natively instead of through the chat translation.
ALTER TABLE providers ADD COLUMN responses_api BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE providers DROP COLUMN responses_api;
