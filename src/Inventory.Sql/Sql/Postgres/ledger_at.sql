SELECT l.sku, l.seq, l.available_after
FROM ledger l
JOIN jsonb_to_recordset(@points::jsonb) AS p(sku text, seq bigint)
  ON l.sku = p.sku COLLATE "C" AND l.seq = p.seq
