-- Each SKU's stock becomes the AvailableAfter of its latest ledger row: absolute, so any number of changes
-- (stock sets included) merge into one write. Guarded by the sequence, never by the amount: SQL never refuses
-- what Redis accepted and never goes backwards. Rows are written in SKU order so concurrent batches lock alike.
WITH written AS (
    INSERT INTO stock (sku, available, last_seq, updated_at)
    SELECT latest.sku, latest.available_after, latest.seq, now()
    FROM (SELECT DISTINCT value AS sku FROM jsonb_array_elements_text(@skus::jsonb)) AS s
    CROSS JOIN LATERAL (
        SELECT l.sku, l.seq, l.available_after
        FROM ledger AS l
        WHERE l.sku = s.sku
        ORDER BY l.seq DESC
        LIMIT 1) AS latest
    ORDER BY latest.sku
    ON CONFLICT (sku) DO UPDATE
    SET available = excluded.available,
        last_seq = excluded.last_seq,
        updated_at = excluded.updated_at
    WHERE stock.last_seq < excluded.last_seq
    RETURNING 1)
SELECT count(*)::integer FROM written
