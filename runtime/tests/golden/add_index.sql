-- mysql upgrade
CREATE INDEX ix_shop_item_note ON shop_item (note);
-- mysql downgrade
DROP INDEX ix_shop_item_note ON shop_item;
-- postgres upgrade
CREATE INDEX ix_shop_item_note ON shop_item (note);
-- postgres downgrade
DROP INDEX ix_shop_item_note;
-- sqlite upgrade
CREATE INDEX ix_shop_item_note ON shop_item (note);
-- sqlite downgrade
DROP INDEX ix_shop_item_note;
