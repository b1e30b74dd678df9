-- mysql upgrade
ALTER TABLE shop_item DROP COLUMN sold_at;
-- mysql downgrade
ALTER TABLE shop_item ADD COLUMN sold_at DATETIME(6) NOT NULL DEFAULT '1970-01-01 00:00:00';
ALTER TABLE shop_item ALTER COLUMN sold_at DROP DEFAULT;
-- postgres upgrade
ALTER TABLE shop_item DROP COLUMN sold_at;
-- postgres downgrade
ALTER TABLE shop_item ADD COLUMN sold_at TIMESTAMPTZ NOT NULL DEFAULT '1970-01-01T00:00:00Z';
ALTER TABLE shop_item ALTER COLUMN sold_at DROP DEFAULT;
-- sqlite upgrade
ALTER TABLE shop_item DROP COLUMN sold_at;
-- sqlite downgrade
ALTER TABLE shop_item ADD COLUMN sold_at TEXT NOT NULL DEFAULT '1970-01-01T00:00:00Z';
