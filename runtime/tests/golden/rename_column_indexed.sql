-- mysql upgrade
ALTER TABLE shop_item RENAME COLUMN qty TO quantity;
ALTER TABLE shop_item RENAME INDEX ix_shop_item_qty TO ix_shop_item_quantity;
-- mysql downgrade
ALTER TABLE shop_item RENAME COLUMN quantity TO qty;
ALTER TABLE shop_item RENAME INDEX ix_shop_item_quantity TO ix_shop_item_qty;
-- postgres upgrade
ALTER TABLE shop_item RENAME COLUMN qty TO quantity;
ALTER INDEX ix_shop_item_qty RENAME TO ix_shop_item_quantity;
-- postgres downgrade
ALTER TABLE shop_item RENAME COLUMN quantity TO qty;
ALTER INDEX ix_shop_item_quantity RENAME TO ix_shop_item_qty;
-- sqlite upgrade
ALTER TABLE shop_item RENAME COLUMN qty TO quantity;
DROP INDEX ix_shop_item_qty;
CREATE INDEX ix_shop_item_quantity ON shop_item (quantity);
-- sqlite downgrade
ALTER TABLE shop_item RENAME COLUMN quantity TO qty;
DROP INDEX ix_shop_item_quantity;
CREATE INDEX ix_shop_item_qty ON shop_item (qty);
