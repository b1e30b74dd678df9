-- mysql upgrade
ALTER TABLE shop_item ADD COLUMN color TEXT;
-- mysql downgrade
ALTER TABLE shop_item DROP COLUMN color;
-- postgres upgrade
ALTER TABLE shop_item ADD COLUMN color TEXT;
-- postgres downgrade
ALTER TABLE shop_item DROP COLUMN color;
-- sqlite upgrade
ALTER TABLE shop_item ADD COLUMN color TEXT;
-- sqlite downgrade
ALTER TABLE shop_item DROP COLUMN color;
