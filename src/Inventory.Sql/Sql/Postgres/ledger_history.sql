-- A page of one SKU's history, oldest first, after a sequence the caller already has (GET /api/stock/{sku}/history).
-- The primary key (sku, seq) serves it: a range scan, however long the history.
SELECT sku, seq, journal_partition, stream_id, kind, reference_id, delta, available_after, reason, customer_id, limit_per_customer, task_id, journal_at, created_at
FROM ledger
WHERE sku = @sku AND seq > @after
ORDER BY seq
LIMIT @limit
