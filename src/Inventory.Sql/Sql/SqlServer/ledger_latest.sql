-- Each SKU's latest ledger row: where a divergent journal entry is numbered on from (SQL's history is the truth).
SELECT l.sku, l.seq, l.available_after
FROM (SELECT DISTINCT CAST(value AS varchar(64)) COLLATE Latin1_General_100_BIN2 AS sku FROM OPENJSON(@skus)) AS s
CROSS APPLY (
    SELECT TOP (1) x.sku, x.seq, x.available_after
    FROM dbo.ledger AS x
    WHERE x.sku = s.sku
    ORDER BY x.seq DESC) AS l;
