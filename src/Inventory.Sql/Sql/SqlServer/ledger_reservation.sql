-- A reservation as the ledger remembers it, for answering it after Redis lost its home (docs/holds.md, "Rebuild after
-- data loss"): its hold, release and expire rows (reference = the reservation id) and the commit rows naming it
-- (reason = the reservation id) after one of its hold rows of the same SKU, found by walking that SKU's later rows by
-- primary key (commit rows are not indexed by reason). A row may come twice (two attempts held the SKU).
SELECT sku, seq, journal_partition, stream_id, kind, reference_id, delta, available_after, reason, customer_id, task_id, journal_at, created_at
FROM dbo.ledger
WHERE reference_id = @reference_id AND kind IN ('hold', 'release', 'expire')
UNION ALL
SELECT c.sku, c.seq, c.journal_partition, c.stream_id, c.kind, c.reference_id, c.delta, c.available_after, c.reason, c.customer_id, c.task_id,
       c.journal_at, c.created_at
FROM dbo.ledger AS h
JOIN dbo.ledger AS c ON c.sku = h.sku AND c.seq > h.seq AND c.kind = 'commit' AND c.reason = @reference_id
WHERE h.reference_id = @reference_id AND h.kind = 'hold'
ORDER BY 1, 2;
