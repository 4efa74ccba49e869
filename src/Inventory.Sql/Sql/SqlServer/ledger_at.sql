SELECT l.sku, l.seq, l.available_after
FROM dbo.ledger AS l
JOIN OPENJSON(@points) WITH (sku varchar(64) '$.sku', seq bigint '$.seq') AS p
  ON l.sku = p.sku COLLATE Latin1_General_100_BIN2 AND l.seq = p.seq;
