SELECT sku, available, last_seq, updated_at
FROM stock
WHERE sku > @after
ORDER BY sku
LIMIT @limit
