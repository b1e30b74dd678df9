-- mysql upgrade
DROP TABLE shop_item;
-- mysql downgrade
CREATE TABLE IF NOT EXISTS shop_item (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code VARCHAR(32) NOT NULL,
  qty INT NOT NULL,
  note VARCHAR(100),
  hidden BOOLEAN NOT NULL DEFAULT 0,
  CONSTRAINT uq_shop_item_code UNIQUE (code),
  INDEX ix_shop_item_qty (qty)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
-- postgres upgrade
DROP TABLE shop_item;
-- postgres downgrade
CREATE TABLE IF NOT EXISTS shop_item (
  id BIGSERIAL PRIMARY KEY,
  code VARCHAR(32) NOT NULL,
  qty INTEGER NOT NULL,
  note VARCHAR(100),
  hidden BOOLEAN NOT NULL DEFAULT 0,
  CONSTRAINT uq_shop_item_code UNIQUE (code)
);
CREATE INDEX IF NOT EXISTS ix_shop_item_qty ON shop_item (qty);
-- sqlite upgrade
DROP TABLE shop_item;
-- sqlite downgrade
CREATE TABLE IF NOT EXISTS shop_item (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  code VARCHAR(32) NOT NULL,
  qty INTEGER NOT NULL,
  note VARCHAR(100),
  hidden INTEGER NOT NULL DEFAULT 0,
  CONSTRAINT uq_shop_item_code UNIQUE (code)
);
CREATE INDEX IF NOT EXISTS ix_shop_item_qty ON shop_item (qty);
