UPDATE shop_item SET note = CONCAT('n/', 'a') WHERE note IS NULL;
UPDATE shop_item SET note = 'n/a' WHERE note IS NULL;
UPDATE shop_item SET note = 'n/a' WHERE note IS NULL;
