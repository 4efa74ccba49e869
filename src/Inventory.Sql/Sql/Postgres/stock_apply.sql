-- Each SKU's stock becomes the AvailableAfter of its latest ledger row: absolute, so any number of changes
-- (stock sets included) merge into one write. Guarded by the sequence, never by the amount: SQL never refuses
-- what Redis accepted and never goes backwards. Rows are written in SKU order so concurrent batches lock alike.
-- The per-customer limit comes from the newest set row not yet applied (only rows above the stock's last_seq are
-- read, so the scan is this batch's, not the SKU's history); limit_seq keeps an older set from winning a race.
WITH written AS (
    INSERT INTO stock (sku, available, last_seq, limit_per_customer, limit_seq, updated_at)
    SELECT latest.sku, latest.available_after, latest.seq, newest_set.limit_per_customer, COALESCE(newest_set.seq, 0), now()
    FROM (SELECT DISTINCT value AS sku FROM jsonb_array_elements_text(@skus::jsonb)) AS s
    CROSS JOIN LATERAL (
        SELECT l.sku, l.seq, l.available_after
        FROM ledger AS l
        WHERE l.sku = s.sku
        ORDER BY l.seq DESC
        LIMIT 1) AS latest
    LEFT JOIN stock AS present ON present.sku = s.sku
    LEFT JOIN LATERAL (
        SELECT l.seq, l.limit_per_customer
        FROM ledger AS l
        WHERE l.sku = s.sku AND l.kind = 'set' AND l.seq > COALESCE(present.last_seq, 0)
        ORDER BY l.seq DESC
        LIMIT 1) AS newest_set ON true
    ORDER BY latest.sku
    ON CONFLICT (sku) DO UPDATE
    SET available = excluded.available,
        last_seq = excluded.last_seq,
        limit_per_customer = CASE WHEN excluded.limit_seq > stock.limit_seq THEN excluded.limit_per_customer ELSE stock.limit_per_customer END,
        limit_seq = GREATEST(stock.limit_seq, excluded.limit_seq),
        updated_at = excluded.updated_at
    WHERE stock.last_seq < excluded.last_seq
    RETURNING 1)
SELECT count(*)::integer FROM written
