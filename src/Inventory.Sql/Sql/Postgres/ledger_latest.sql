-- Each SKU's latest ledger row: where a divergent journal entry is numbered on from (SQL's history is the truth).
SELECT latest.sku, latest.seq, latest.available_after
FROM (SELECT DISTINCT value AS sku FROM jsonb_array_elements_text(@skus::jsonb)) AS s
CROSS JOIN LATERAL (
    SELECT l.sku, l.seq, l.available_after
    FROM ledger AS l
    WHERE l.sku = s.sku COLLATE "C"
    ORDER BY l.seq DESC
    LIMIT 1) AS latest
