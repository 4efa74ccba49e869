SELECT sku, seq, journal_partition, stream_id, kind, reference_id, delta, available_after, reason, task_id, journal_at, created_at
FROM ledger
WHERE kind IN ('deduct', 'cancel', 'void', 'return') AND journal_at >= @since
  AND (sku, seq) > (@after_sku, @after_seq)
ORDER BY sku, seq
LIMIT @limit
