-- Per-customer limits (docs/redis-keys.md, rule 12). Nullable columns without defaults on the ledger: adding them
-- is a metadata change and fires no trigger, so the append-only ledger stays as it was.
-- customer_id: the customer an order named, on each of its rows (deduct, cancel, void, return).
-- limit_per_customer: on a set row, the SKU's limit right after it (null: none).
ALTER TABLE dbo.ledger ADD
    customer_id         varchar(64) COLLATE Latin1_General_100_BIN2 NULL,
    limit_per_customer  bigint NULL;
GO

-- The SKU's limit is stock configuration: it lives beside available, so a rebuild of Redis finds both in one row.
-- limit_seq is the sequence of the set that gave it, so a late batch never puts back an older limit.
ALTER TABLE dbo.stock ADD
    limit_per_customer  bigint NULL,
    limit_seq           bigint NOT NULL CONSTRAINT df_stock_limit_seq DEFAULT 0;
GO
