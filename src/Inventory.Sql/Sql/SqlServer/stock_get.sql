SELECT sku, available, last_seq, limit_per_customer, updated_at
FROM dbo.stock
WHERE sku IN (SELECT CAST(value AS varchar(64)) COLLATE Latin1_General_100_BIN2 FROM OPENJSON(@skus))
ORDER BY sku;
