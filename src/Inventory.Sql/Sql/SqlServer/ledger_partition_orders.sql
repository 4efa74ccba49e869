-- One journal partition's order rows since a time, grouped by order (then per SKU by sequence), streamed.
SELECT sku, seq, journal_partition, stream_id, kind, reference_id, delta, available_after, reason, customer_id, limit_per_customer, task_id, journal_at, created_at
FROM dbo.ledger
WHERE journal_partition = @partition AND kind IN ('deduct', 'cancel', 'void', 'return') AND journal_at >= @since
ORDER BY reference_id, sku, seq;
