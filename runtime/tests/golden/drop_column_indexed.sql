-- mysql upgrade
ALTER TABLE shop_item DROP COLUMN qty;
-- mysql downgrade
ALTER TABLE shop_item ADD COLUMN qty INT NOT NULL;
CREATE INDEX ix_shop_item_qty ON shop_item (qty);
-- postgres upgrade
ALTER TABLE shop_item DROP COLUMN qty;
-- postgres downgrade
ALTER TABLE shop_item ADD COLUMN qty INTEGER NOT NULL DEFAULT 0;
ALTER TABLE shop_item ALTER COLUMN qty DROP DEFAULT;
CREATE INDEX ix_shop_item_qty ON shop_item (qty);
-- sqlite upgrade
DROP INDEX ix_shop_item_qty;
ALTER TABLE shop_item DROP COLUMN qty;
-- sqlite downgrade
ALTER TABLE shop_item ADD COLUMN qty INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ix_shop_item_qty ON shop_item (qty);
