-- +goose Up
-- The condition and period a notification fired for, so "once per period" survives restarts.
ALTER TABLE notifications ADD COLUMN dedupe TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE notifications DROP COLUMN dedupe;
