SELECT sku, seq, journal_partition, stream_id, kind, reference_id, delta, available_after, reason, task_id, journal_at, created_at
FROM ledger
WHERE sku = @sku
ORDER BY seq DESC
LIMIT @limit
