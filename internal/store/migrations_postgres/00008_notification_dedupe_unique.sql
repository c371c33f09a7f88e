-- +goose Up
-- One notification per condition: instances sharing a database claim a notification by
-- inserting it, and only the one whose insert lands delivers it (webhook, desktop).
DELETE FROM notifications WHERE dedupe <> '' AND id NOT IN (
    SELECT MIN(id) FROM notifications WHERE dedupe <> '' GROUP BY dedupe);
CREATE UNIQUE INDEX notifications_dedupe ON notifications (dedupe) WHERE dedupe <> '';

-- +goose Down
DROP INDEX notifications_dedupe;
