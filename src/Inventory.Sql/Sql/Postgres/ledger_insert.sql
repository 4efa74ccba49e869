-- @rows is a JSON array of journal entries. Entries already in the ledger with the same content are skipped, which
-- is what makes re-persisting a range (a retried page, an overlapping message) insert nothing. An entry whose
-- (sku, seq) is already there with OTHER content means Redis's history diverged from SQL's (a lossy failover handed
-- out a sequence number again): then nothing of the page is inserted and the divergent keys are returned, so the
-- caller decides, never the primary key silently.
WITH r AS MATERIALIZED (
    SELECT *
    FROM jsonb_to_recordset(@rows::jsonb) AS r(
            sku text, seq bigint, journal_partition integer, stream_id text, kind text, reference_id text,
            delta bigint, available_after bigint, reason text, journal_ms bigint, customer_id text, limit_per_customer bigint)),
divergent AS MATERIALIZED (
    SELECT r.sku, r.seq
    FROM r
    JOIN ledger AS l ON l.sku = r.sku COLLATE "C" AND l.seq = r.seq
    WHERE l.kind <> r.kind COLLATE "C" OR l.reference_id <> r.reference_id COLLATE "C"
       OR l.delta <> r.delta OR l.available_after <> r.available_after),
inserted AS (
    INSERT INTO ledger (sku, seq, journal_partition, stream_id, kind, reference_id, delta, available_after, reason, task_id, journal_at,
                        customer_id, limit_per_customer)
    SELECT r.sku, r.seq, r.journal_partition, r.stream_id, r.kind, r.reference_id, r.delta, r.available_after, r.reason,
           @task_id, to_timestamp(r.journal_ms / 1000.0), r.customer_id, r.limit_per_customer
    FROM r
    WHERE NOT EXISTS (SELECT 1 FROM divergent)
    ORDER BY r.sku, r.seq
    ON CONFLICT (sku, seq) DO NOTHING
    RETURNING 1)
SELECT (SELECT count(*) FROM inserted)::integer AS inserted,
       (SELECT jsonb_agg(jsonb_build_object('sku', d.sku, 'seq', d.seq) ORDER BY d.sku COLLATE "C", d.seq) FROM divergent AS d)::text AS divergent
