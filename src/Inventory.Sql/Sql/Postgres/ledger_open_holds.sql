-- Reservations the ledger shows still held: each hold row with no later release or expire of the reservation on its
-- SKU, nor a later commit of it (a commit row names the reservation in its reason). The rebuild after Redis lost data
-- puts these back (docs/holds.md); hold rows carry "expiresAt attempt [customerId]" in their reason.
SELECT h.sku, h.seq, h.journal_partition, h.stream_id, h.kind, h.reference_id, h.delta, h.available_after, h.reason,
       h.task_id, h.journal_at, h.created_at
FROM ledger AS h
WHERE h.kind = 'hold' AND h.journal_at >= @since
  AND NOT EXISTS (SELECT 1 FROM ledger AS e
                  WHERE e.sku = h.sku AND e.seq > h.seq
                    AND ((e.kind IN ('release', 'expire') AND e.reference_id = h.reference_id)
                         OR (e.kind = 'commit' AND e.reason COLLATE "C" = h.reference_id)))
ORDER BY h.reference_id, h.sku, h.seq
