SELECT sku, available, last_seq, limit_per_customer, updated_at
FROM stock
WHERE sku > @after
ORDER BY sku
LIMIT @limit
