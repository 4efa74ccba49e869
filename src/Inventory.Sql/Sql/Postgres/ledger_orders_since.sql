SELECT sku, seq, journal_partition, stream_id, kind, reference_id, delta, available_after, reason, customer_id, limit_per_customer, task_id, journal_at, created_at
FROM ledger
WHERE kind IN ('deduct', 'cancel', 'void', 'return') AND journal_at >= @since
  AND (sku, seq) > (@after_sku, @after_seq)
ORDER BY sku, seq
LIMIT @limit
