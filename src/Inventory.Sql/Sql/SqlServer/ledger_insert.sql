-- @rows is a JSON array of journal entries. Entries already in the ledger are skipped, which is what makes
-- re-persisting a range (a retried page, an overlapping message) insert nothing. No range lock is needed: one
-- partition's pages are serialised by its cursor lock, and the primary key stays the last word.
INSERT INTO dbo.ledger (sku, seq, journal_partition, stream_id, kind, reference_id, delta, available_after, reason, task_id, journal_at)
SELECT r.sku, r.seq, r.journal_partition, r.stream_id, r.kind, r.reference_id, r.delta, r.available_after, r.reason, @task_id,
       DATEADD(millisecond, CAST(r.journal_ms % 86400000 AS int),
               DATEADD(day, CAST(r.journal_ms / 86400000 AS int), CAST('1970-01-01' AS datetime2(3))))
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
        journal_ms bigint '$.journal_ms') AS r
WHERE NOT EXISTS (
        SELECT 1 FROM dbo.ledger AS l
        WHERE l.sku = r.sku COLLATE Latin1_General_100_BIN2 AND l.seq = r.seq);
