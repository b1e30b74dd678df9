-- mysql upgrade
UPDATE shop_item SET sold_at = NULL WHERE sold_at = '';
UPDATE shop_item SET sold_at = REPLACE(REPLACE(sold_at, 'T', ' '), 'Z', '') WHERE sold_at LIKE '%Z';
ALTER TABLE shop_item MODIFY COLUMN sold_at DATETIME(6);
-- mysql downgrade
ALTER TABLE shop_item MODIFY COLUMN sold_at VARCHAR(32);
UPDATE shop_item SET sold_at = CONCAT(REPLACE(LEFT(sold_at, 19), ' ', 'T'), 'Z') WHERE sold_at NOT LIKE '%Z';
-- postgres upgrade
UPDATE shop_item SET sold_at = NULL WHERE sold_at = '';
ALTER TABLE shop_item ALTER COLUMN sold_at TYPE TIMESTAMPTZ USING sold_at::timestamptz;
-- postgres downgrade
ALTER TABLE shop_item ALTER COLUMN sold_at TYPE VARCHAR(32) USING to_char(sold_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');
-- sqlite upgrade
UPDATE shop_item SET sold_at = NULL WHERE sold_at = '';
CREATE TABLE keel_rebuild_shop_item (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  code VARCHAR(32) NOT NULL,
  qty INTEGER NOT NULL,
  note VARCHAR(100),
  hidden INTEGER NOT NULL DEFAULT 0,
  sold_at TEXT,
  CONSTRAINT uq_shop_item_code UNIQUE (code)
);
INSERT INTO keel_rebuild_shop_item (id, code, qty, note, hidden, sold_at) SELECT id, code, qty, note, hidden, sold_at FROM shop_item;
DROP TABLE shop_item;
ALTER TABLE keel_rebuild_shop_item RENAME TO shop_item;
CREATE INDEX ix_shop_item_qty ON shop_item (qty);
-- sqlite downgrade
CREATE TABLE keel_rebuild_shop_item (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  code VARCHAR(32) NOT NULL,
  qty INTEGER NOT NULL,
  note VARCHAR(100),
  hidden INTEGER NOT NULL DEFAULT 0,
  sold_at VARCHAR(32),
  CONSTRAINT uq_shop_item_code UNIQUE (code)
);
INSERT INTO keel_rebuild_shop_item (id, code, qty, note, hidden, sold_at) SELECT id, code, qty, note, hidden, sold_at FROM shop_item;
DROP TABLE shop_item;
ALTER TABLE keel_rebuild_shop_item RENAME TO shop_item;
CREATE INDEX ix_shop_item_qty ON shop_item (qty);
