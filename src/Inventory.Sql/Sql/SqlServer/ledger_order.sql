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
       (SELECT COALESCE(SUM(r.delta), 0) FROM dbo.ledger AS r
        WHERE r.reference_id = @reference_id AND r.sku = latest.sku AND r.kind = 'return' AND r.seq > deducted.seq) AS returned
FROM (SELECT sku, seq, kind, available_after, ROW_NUMBER() OVER (PARTITION BY sku ORDER BY seq DESC) AS n
      FROM dbo.ledger
      WHERE reference_id = @reference_id AND kind IN ('deduct', 'commit', 'cancel', 'void', 'return')) AS latest
OUTER APPLY (
    SELECT TOP (1) CASE WHEN d.kind = 'deduct' THEN -d.delta
                        ELSE (SELECT TOP (1) -h.delta FROM dbo.ledger AS h
                              WHERE h.reference_id = d.reason AND h.sku = d.sku AND h.kind = 'hold' AND h.seq < d.seq
                              ORDER BY h.seq DESC) END AS quantity,
           d.available_after, d.seq, d.customer_id
    FROM dbo.ledger AS d
    WHERE d.reference_id = @reference_id AND d.sku = latest.sku AND d.kind IN ('deduct', 'commit')
    ORDER BY d.seq DESC) AS deducted
WHERE latest.n = 1
ORDER BY latest.sku;
