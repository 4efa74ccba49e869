-- Each SKU's stock becomes the AvailableAfter of its latest ledger row: absolute, so any number of changes
-- (stock sets included) merge into one write. Guarded by the sequence, never by the amount: SQL never refuses
-- what Redis accepted and never goes backwards. Missing rows are inserted first, so a batch that loses the
-- insert race to another still applies its (possibly later) sequence through the guarded update.
SET NOCOUNT ON;
DECLARE @written int;
DECLARE @latest TABLE (
    sku        varchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    seq        bigint NOT NULL,
    available  bigint NOT NULL);

INSERT INTO @latest (sku, seq, available)
SELECT s.sku, l.seq, l.available_after
FROM (SELECT DISTINCT CAST(value AS varchar(64)) COLLATE Latin1_General_100_BIN2 AS sku FROM OPENJSON(@skus)) AS s
CROSS APPLY (
    SELECT TOP (1) x.seq, x.available_after
    FROM dbo.ledger AS x
    WHERE x.sku = s.sku
    ORDER BY x.seq DESC) AS l;

INSERT INTO dbo.stock (sku, available, last_seq, updated_at)
SELECT x.sku, x.available, x.seq, SYSUTCDATETIME()
FROM @latest AS x
WHERE NOT EXISTS (SELECT 1 FROM dbo.stock AS st WITH (UPDLOCK, HOLDLOCK) WHERE st.sku = x.sku);
SET @written = @@ROWCOUNT;

UPDATE st
SET available = x.available,
    last_seq = x.seq,
    updated_at = SYSUTCDATETIME()
FROM dbo.stock AS st WITH (UPDLOCK, ROWLOCK)
INNER JOIN @latest AS x ON x.sku = st.sku
WHERE st.last_seq < x.seq;
SET @written += @@ROWCOUNT;

SELECT @written;
