-- mysql upgrade
ALTER TABLE shop_item RENAME COLUMN note TO remark;
-- mysql downgrade
ALTER TABLE shop_item RENAME COLUMN remark TO note;
-- postgres upgrade
ALTER TABLE shop_item RENAME COLUMN note TO remark;
-- postgres downgrade
ALTER TABLE shop_item RENAME COLUMN remark TO note;
-- sqlite upgrade
ALTER TABLE shop_item RENAME COLUMN note TO remark;
-- sqlite downgrade
ALTER TABLE shop_item RENAME COLUMN remark TO note;
