-- @rows is a JSON array of journal entries. Entries already in the ledger are skipped, which is what makes
-- re-persisting a range (a retried page, an overlapping message) insert nothing.
INSERT INTO ledger (sku, seq, journal_partition, stream_id, kind, reference_id, delta, available_after, reason, task_id, journal_at)
SELECT r.sku, r.seq, r.journal_partition, r.stream_id, r.kind, r.reference_id, r.delta, r.available_after, r.reason,
       @task_id, to_timestamp(r.journal_ms / 1000.0)
FROM jsonb_to_recordset(@rows::jsonb) AS r(
        sku text, seq bigint, journal_partition integer, stream_id text, kind text, reference_id text,
        delta bigint, available_after bigint, reason text, journal_ms bigint)
ORDER BY r.sku, r.seq
ON CONFLICT (sku, seq) DO NOTHING
