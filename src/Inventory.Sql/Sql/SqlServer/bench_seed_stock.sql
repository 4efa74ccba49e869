-- Benchmark only: gives the naive path existing stock rows to update, as a real catalogue would.
INSERT INTO dbo.stock (sku, available, last_seq)
SELECT s.sku, 0, 0
FROM (SELECT DISTINCT CAST(value AS varchar(64)) COLLATE Latin1_General_100_BIN2 AS sku FROM OPENJSON(@skus)) AS s
WHERE NOT EXISTS (SELECT 1 FROM dbo.stock AS st WHERE st.sku = s.sku);
