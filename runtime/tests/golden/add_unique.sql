-- mysql upgrade
ALTER TABLE shop_item ADD CONSTRAINT uq_shop_item_note UNIQUE (note);
-- mysql downgrade
ALTER TABLE shop_item DROP INDEX uq_shop_item_note;
-- postgres upgrade
ALTER TABLE shop_item ADD CONSTRAINT uq_shop_item_note UNIQUE (note);
-- postgres downgrade
ALTER TABLE shop_item DROP CONSTRAINT uq_shop_item_note;
-- sqlite upgrade
CREATE TABLE keel_rebuild_shop_item (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  code VARCHAR(32) NOT NULL,
  qty INTEGER NOT NULL,
  note VARCHAR(100),
  hidden INTEGER NOT NULL DEFAULT 0,
  CONSTRAINT uq_shop_item_code UNIQUE (code),
  CONSTRAINT uq_shop_item_note UNIQUE (note)
);
INSERT INTO keel_rebuild_shop_item (id, code, qty, note, hidden) SELECT id, code, qty, note, hidden FROM shop_item;
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
  CONSTRAINT uq_shop_item_code UNIQUE (code)
);
INSERT INTO keel_rebuild_shop_item (id, code, qty, note, hidden) SELECT id, code, qty, note, hidden FROM shop_item;
DROP TABLE shop_item;
ALTER TABLE keel_rebuild_shop_item RENAME TO shop_item;
CREATE INDEX ix_shop_item_qty ON shop_item (qty);
