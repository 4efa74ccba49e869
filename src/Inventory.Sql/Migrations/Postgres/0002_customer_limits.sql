-- Per-customer limits (docs/redis-keys.md, rule 12). Nullable columns without defaults on the ledger: adding them
-- rewrites nothing and fires no trigger, so the append-only ledger stays as it was.
-- customer_id: the customer an order named, on each of its rows (deduct, cancel, void, return).
-- limit_per_customer: on a set row, the SKU's limit right after it (null: none).
ALTER TABLE ledger ADD COLUMN customer_id varchar(64) COLLATE "C" NULL;
ALTER TABLE ledger ADD COLUMN limit_per_customer bigint NULL;

-- The SKU's limit is stock configuration: it lives beside available, so a rebuild of Redis finds both in one row.
-- limit_seq is the sequence of the set that gave it, so a late batch never puts back an older limit.
ALTER TABLE stock ADD COLUMN limit_per_customer bigint NULL;
ALTER TABLE stock ADD COLUMN limit_seq bigint NOT NULL DEFAULT 0;
