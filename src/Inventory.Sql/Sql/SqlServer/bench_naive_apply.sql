-- Benchmark only: the seed's one-transaction-per-order persistence (antiRe insert + stock update), with the
-- update guarded by sequence as the engine's is.
INSERT INTO dbo.ledger (sku, seq, journal_partition, stream_id, kind, reference_id, delta, available_after, reason, task_id, journal_at)
SELECT @sku, @seq, @journal_partition, @stream_id, @kind, @reference_id, @delta, @available_after, @reason, 0,
       DATEADD(millisecond, CAST(@journal_ms % 86400000 AS int),
               DATEADD(day, CAST(@journal_ms / 86400000 AS int), CAST('1970-01-01' AS datetime2(3))))
WHERE NOT EXISTS (SELECT 1 FROM dbo.ledger WHERE sku = @sku AND seq = @seq);
UPDATE dbo.stock
SET available = @available_after, last_seq = @seq, updated_at = SYSUTCDATETIME()
WHERE sku = @sku AND last_seq < @seq;
