-- Orders with a cancel since a time that still stand in some SKU (its latest row is a deduction or a return): a cancel
-- decided on the claim that has not restocked everywhere yet. A lost home's open cancels went with it; the rebuild
-- puts these back, so the recovery sweep finishes them (docs/redis-keys.md, rule 7). A cancel is final, so a cancel
-- row means one was decided; the latest row per SKU decides what still stands, as in ledger_order.sql.
SELECT DISTINCT latest.reference_id
FROM (SELECT DISTINCT ON (reference_id, sku) reference_id, sku, kind
      FROM ledger
      WHERE kind IN ('deduct', 'commit', 'cancel', 'void', 'return')
        AND reference_id IN (SELECT reference_id FROM ledger WHERE kind = 'cancel' AND journal_at >= @since)
      ORDER BY reference_id, sku, seq DESC) AS latest
WHERE latest.kind IN ('deduct', 'commit', 'return')
