SELECT TOP (@limit) sku, available, last_seq, updated_at
FROM dbo.stock
WHERE sku > @after
ORDER BY sku;
