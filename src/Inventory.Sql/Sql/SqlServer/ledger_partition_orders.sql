-- One journal partition's order rows since a time, grouped by order (then per SKU by sequence), streamed. A
-- reservation's commit is read as the order's deduction: kind 'deduct', and the delta of the reservation's latest
-- 'hold' row of the SKU before it (the commit row itself carries 0: the units left stock when held).
SELECT l.sku, l.seq, l.journal_partition, l.stream_id,
       CASE WHEN l.kind = 'commit' THEN 'deduct' ELSE l.kind END AS kind,
       l.reference_id,
       CASE WHEN l.kind = 'commit'
            THEN COALESCE((SELECT TOP (1) h.delta FROM dbo.ledger AS h
                           WHERE h.reference_id = l.reason AND h.sku = l.sku AND h.kind = 'hold' AND h.seq < l.seq
                           ORDER BY h.seq DESC), 0)
            ELSE l.delta END AS delta,
       l.available_after, l.reason, l.customer_id, l.limit_per_customer, l.task_id, l.journal_at, l.created_at
FROM dbo.ledger AS l
WHERE l.journal_partition = @partition AND l.kind IN ('deduct', 'commit', 'cancel', 'void', 'return') AND l.journal_at >= @since
ORDER BY l.reference_id, l.sku, l.seq;
