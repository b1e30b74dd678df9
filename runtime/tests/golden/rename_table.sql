-- mysql upgrade
RENAME TABLE shop_item TO shop_product;
ALTER TABLE shop_product RENAME INDEX uq_shop_item_code TO uq_shop_product_code;
ALTER TABLE shop_product RENAME INDEX ix_shop_item_qty TO ix_shop_product_qty;
-- mysql downgrade
RENAME TABLE shop_product TO shop_item;
ALTER TABLE shop_item RENAME INDEX uq_shop_product_code TO uq_shop_item_code;
ALTER TABLE shop_item RENAME INDEX ix_shop_product_qty TO ix_shop_item_qty;
-- postgres upgrade
ALTER TABLE shop_item RENAME TO shop_product;
ALTER TABLE shop_product RENAME CONSTRAINT uq_shop_item_code TO uq_shop_product_code;
ALTER INDEX ix_shop_item_qty RENAME TO ix_shop_product_qty;
-- postgres downgrade
ALTER TABLE shop_product RENAME TO shop_item;
ALTER TABLE shop_item RENAME CONSTRAINT uq_shop_product_code TO uq_shop_item_code;
ALTER INDEX ix_shop_product_qty RENAME TO ix_shop_item_qty;
-- sqlite upgrade
ALTER TABLE shop_item RENAME TO shop_product;
DROP INDEX ix_shop_item_qty;
CREATE INDEX ix_shop_product_qty ON shop_product (qty);
-- sqlite downgrade
ALTER TABLE shop_product RENAME TO shop_item;
DROP INDEX ix_shop_product_qty;
CREATE INDEX ix_shop_item_qty ON shop_item (qty);
