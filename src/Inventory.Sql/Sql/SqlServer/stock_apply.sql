-- Each SKU's stock becomes the AvailableAfter of its latest ledger row: absolute, so any number of changes
-- (stock sets included) merge into one write. Guarded by the sequence, never by the amount: SQL never refuses
-- what Redis accepted and never goes backwards. Missing rows are inserted first, so a batch that loses the
-- insert race to another still applies its (possibly later) sequence through the guarded update.
-- The per-customer limit comes from the newest set row not yet applied (only rows above the stock's last_seq are
-- read, so the scan is this batch's, not the SKU's history); limit_seq keeps an older set from winning a race.
SET NOCOUNT ON;
DECLARE @written int;
DECLARE @latest TABLE (
    sku        varchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    seq        bigint NOT NULL,
    available  bigint NOT NULL,
    limit_seq  bigint NULL,
    limit_per_customer bigint NULL);

INSERT INTO @latest (sku, seq, available, limit_seq, limit_per_customer)
SELECT s.sku, l.seq, l.available_after, newest_set.seq, newest_set.limit_per_customer
FROM (SELECT DISTINCT CAST(value AS varchar(64)) COLLATE Latin1_General_100_BIN2 AS sku FROM OPENJSON(@skus)) AS s
CROSS APPLY (
    SELECT TOP (1) x.seq, x.available_after
    FROM dbo.ledger AS x
    WHERE x.sku = s.sku
    ORDER BY x.seq DESC) AS l
OUTER APPLY (
    SELECT TOP (1) y.seq, y.limit_per_customer
    FROM dbo.ledger AS y
    WHERE y.sku = s.sku AND y.kind = 'set'
      AND y.seq > COALESCE((SELECT st.last_seq FROM dbo.stock AS st WHERE st.sku = s.sku), 0)
    ORDER BY y.seq DESC) AS newest_set;

INSERT INTO dbo.stock (sku, available, last_seq, limit_per_customer, limit_seq, updated_at)
SELECT x.sku, x.available, x.seq, x.limit_per_customer, COALESCE(x.limit_seq, 0), SYSUTCDATETIME()
FROM @latest AS x
WHERE NOT EXISTS (SELECT 1 FROM dbo.stock AS st WITH (UPDLOCK, HOLDLOCK) WHERE st.sku = x.sku);
SET @written = @@ROWCOUNT;

UPDATE st
SET available = x.available,
    last_seq = x.seq,
    limit_per_customer = CASE WHEN x.limit_seq > st.limit_seq THEN x.limit_per_customer ELSE st.limit_per_customer END,
    limit_seq = CASE WHEN x.limit_seq > st.limit_seq THEN x.limit_seq ELSE st.limit_seq END,
    updated_at = SYSUTCDATETIME()
FROM dbo.stock AS st WITH (UPDLOCK, ROWLOCK)
INNER JOIN @latest AS x ON x.sku = st.sku
WHERE st.last_seq < x.seq;
SET @written += @@ROWCOUNT;

SELECT @written;
