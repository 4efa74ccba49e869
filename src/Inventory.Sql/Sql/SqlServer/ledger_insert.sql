-- @rows is a JSON array of journal entries. Entries already in the ledger with the same content are skipped, which
-- is what makes re-persisting a range (a retried page, an overlapping message) insert nothing. An entry whose
-- (sku, seq) is already there with OTHER content means Redis's history diverged from SQL's (a lossy failover handed
-- out a sequence number again): then nothing of the page is inserted and the divergent keys are returned, so the
-- caller decides, never the primary key silently. No range lock is needed: one partition's pages are serialised by
-- its cursor lock, and the primary key stays the last word.
SET NOCOUNT ON;
DECLARE @r TABLE (
    sku              varchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    seq              bigint NOT NULL,
    journal_partition int NOT NULL,
    stream_id        varchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    kind             varchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL,
    reference_id     varchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    delta            bigint NOT NULL,
    available_after  bigint NOT NULL,
    reason           nvarchar(max) NULL,
    journal_ms       bigint NOT NULL,
    customer_id      varchar(64) COLLATE Latin1_General_100_BIN2 NULL,
    limit_per_customer bigint NULL);

INSERT INTO @r (sku, seq, journal_partition, stream_id, kind, reference_id, delta, available_after, reason, journal_ms, customer_id, limit_per_customer)
SELECT j.sku, j.seq, j.journal_partition, j.stream_id, j.kind, j.reference_id, j.delta, j.available_after, j.reason, j.journal_ms, j.customer_id, j.limit_per_customer
FROM OPENJSON(@rows) WITH (
        sku varchar(64) '$.sku',
        seq bigint '$.seq',
        journal_partition int '$.journal_partition',
        stream_id varchar(40) '$.stream_id',
        kind varchar(16) '$.kind',
        reference_id varchar(64) '$.reference_id',
        delta bigint '$.delta',
        available_after bigint '$.available_after',
        reason nvarchar(max) '$.reason',
        journal_ms bigint '$.journal_ms',
        customer_id varchar(64) '$.customer_id',
        limit_per_customer bigint '$.limit_per_customer') AS j;

DECLARE @divergent nvarchar(max) = (
    SELECT r.sku, r.seq
    FROM @r AS r
    INNER JOIN dbo.ledger AS l ON l.sku = r.sku AND l.seq = r.seq
    WHERE l.kind <> r.kind OR l.reference_id <> r.reference_id OR l.delta <> r.delta OR l.available_after <> r.available_after
    ORDER BY r.sku, r.seq
    FOR JSON PATH);
DECLARE @inserted int = 0;

IF @divergent IS NULL
BEGIN
    INSERT INTO dbo.ledger (sku, seq, journal_partition, stream_id, kind, reference_id, delta, available_after, reason, task_id, journal_at,
                            customer_id, limit_per_customer)
    SELECT r.sku, r.seq, r.journal_partition, r.stream_id, r.kind, r.reference_id, r.delta, r.available_after, r.reason, @task_id,
           DATEADD(millisecond, CAST(r.journal_ms % 86400000 AS int),
                   DATEADD(day, CAST(r.journal_ms / 86400000 AS int), CAST('1970-01-01' AS datetime2(3)))),
           r.customer_id, r.limit_per_customer
    FROM @r AS r
    WHERE NOT EXISTS (SELECT 1 FROM dbo.ledger AS l WHERE l.sku = r.sku AND l.seq = r.seq);
    SET @inserted = @@ROWCOUNT;
END;

SELECT @inserted AS inserted, @divergent AS divergent;
