SELECT sku, seq, journal_partition, stream_id, kind, reference_id, delta, available_after, reason, customer_id, limit_per_customer, task_id, journal_at, created_at
FROM dbo.ledger
WHERE reference_id = @reference_id
ORDER BY journal_at, sku, seq;
