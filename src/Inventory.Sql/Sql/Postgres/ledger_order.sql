-- An order's standing per SKU, from the ledger alone: the SKU's latest row of this order by sequence, and the
-- quantity of its latest deduction, with the stock right after each (the original answers). The per-SKU sequence is the SKU's own order of events; journal_at is Redis time
-- of different partitions and orders nothing. So deduct, void, deduct again stands (as the second deduction), and
-- deduct then cancel is cancelled with the quantity that was deducted. Only order kinds: an adjustment id may
-- spell the same as an order id. Returns after the latest deduction are summed: what a cancel or a later return
-- may still restock is the deduction minus them. A reservation's commit is the order's deduction ('deduct' here):
-- its row carries delta 0 (the units left stock when held), so its quantity is that of the reservation's latest
-- 'hold' row of the SKU before it (reason = the reservation id).
SELECT latest.sku, CASE WHEN latest.kind = 'commit' THEN 'deduct' ELSE latest.kind END AS last_kind, latest.seq AS last_seq, latest.available_after AS last_after,
       deducted.quantity AS deducted, deducted.available_after AS deducted_after, deducted.customer_id,
       (SELECT CAST(COALESCE(SUM(r.delta), 0) AS bigint) FROM ledger AS r
        WHERE r.reference_id = @reference_id AND r.sku = latest.sku AND r.kind = 'return' AND r.seq > deducted.seq) AS returned
FROM (SELECT DISTINCT ON (sku) sku, seq, kind, available_after
      FROM ledger
      WHERE reference_id = @reference_id AND kind IN ('deduct', 'commit', 'cancel', 'void', 'return')
      ORDER BY sku, seq DESC) AS latest
LEFT JOIN LATERAL (
    SELECT CASE WHEN d.kind = 'deduct' THEN -d.delta
                ELSE (SELECT -h.delta FROM ledger AS h
                      WHERE h.reference_id = d.reason COLLATE "C" AND h.sku = d.sku AND h.kind = 'hold' AND h.seq < d.seq
                      ORDER BY h.seq DESC LIMIT 1) END AS quantity,
           d.available_after, d.seq, d.customer_id
    FROM ledger AS d
    WHERE d.reference_id = @reference_id AND d.sku = latest.sku AND d.kind IN ('deduct', 'commit')
    ORDER BY d.seq DESC
    LIMIT 1) AS deducted ON true
ORDER BY latest.sku
