-- Reservations the ledger shows still held, in whole or in part: each hold row with no later release or expire of
-- the reservation on its SKU, nor a later commit of it (a commit row names the reservation in its reason), selects
-- its reservation. For those reservations only, the statement returns every hold row not released or expired since
-- (converted ones too) and the commit rows naming the reservation after them: a commit that converted some partitions
-- and stopped leaves the reservation committing, and the rebuild must restore it so (docs/holds.md, "Rebuild after
-- data loss"). Hold rows carry "expiresAt attempt [customerId]" in their reason.
WITH open_ids AS (
    SELECT DISTINCT h.reference_id
    FROM ledger AS h
    WHERE h.kind = 'hold' AND h.journal_at >= @since
      AND NOT EXISTS (SELECT 1 FROM ledger AS e
                      WHERE e.sku = h.sku AND e.seq > h.seq
                        AND ((e.kind IN ('release', 'expire') AND e.reference_id = h.reference_id)
                             OR (e.kind = 'commit' AND e.reason COLLATE "C" = h.reference_id)))
),
holds AS (
    SELECT h.*
    FROM ledger AS h
    JOIN open_ids AS o ON o.reference_id = h.reference_id
    WHERE h.kind = 'hold' AND h.journal_at >= @since
      AND NOT EXISTS (SELECT 1 FROM ledger AS e
                      WHERE e.sku = h.sku AND e.seq > h.seq
                        AND e.kind IN ('release', 'expire') AND e.reference_id = h.reference_id)
)
SELECT h.sku, h.seq, h.journal_partition, h.stream_id, h.kind, h.reference_id, h.delta, h.available_after, h.reason,
       h.task_id, h.journal_at, h.created_at
FROM holds AS h
UNION ALL
SELECT c.sku, c.seq, c.journal_partition, c.stream_id, c.kind, c.reference_id, c.delta, c.available_after, c.reason,
       c.task_id, c.journal_at, c.created_at
FROM holds AS h
JOIN ledger AS c ON c.sku = h.sku AND c.seq > h.seq AND c.kind = 'commit' AND c.reason COLLATE "C" = h.reference_id
ORDER BY 6, 1, 2
