-- mysql upgrade
ALTER TABLE shop_item DROP COLUMN note;
-- mysql downgrade
ALTER TABLE shop_item ADD COLUMN note VARCHAR(100);
-- postgres upgrade
ALTER TABLE shop_item DROP COLUMN note;
-- postgres downgrade
ALTER TABLE shop_item ADD COLUMN note VARCHAR(100);
-- sqlite upgrade
ALTER TABLE shop_item DROP COLUMN note;
-- sqlite downgrade
ALTER TABLE shop_item ADD COLUMN note VARCHAR(100);
