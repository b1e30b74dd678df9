-- mysql upgrade
DROP INDEX ix_shop_item_qty ON shop_item;
-- mysql downgrade
CREATE INDEX ix_shop_item_qty ON shop_item (qty);
-- postgres upgrade
DROP INDEX ix_shop_item_qty;
-- postgres downgrade
CREATE INDEX ix_shop_item_qty ON shop_item (qty);
-- sqlite upgrade
DROP INDEX ix_shop_item_qty;
-- sqlite downgrade
CREATE INDEX ix_shop_item_qty ON shop_item (qty);
