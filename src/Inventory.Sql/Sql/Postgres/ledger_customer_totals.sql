-- Per customer and SKU of one journal partition, the units the customer holds by the whole ledger: every row that
-- carries a customer moved its units (deduct and hold -q; cancel, void, return, release and expire +q; commit 0),
-- so the negated sum is what the customer has taken. Zeros stay in, so a rebuild resets a counter that survived stale.
SELECT customer_id, sku, CAST(-SUM(delta) AS bigint) AS taken
FROM ledger
WHERE journal_partition = @partition AND customer_id IS NOT NULL
GROUP BY customer_id, sku
ORDER BY customer_id, sku
