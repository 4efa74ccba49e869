SELECT TOP (@limit) sku, available, last_seq, limit_per_customer, updated_at
FROM dbo.stock
WHERE sku > @after
ORDER BY sku;
