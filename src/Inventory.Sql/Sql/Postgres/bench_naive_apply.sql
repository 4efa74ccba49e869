-- Benchmark only: the seed's one-transaction-per-order persistence (antiRe insert + stock update), with the
-- update guarded by sequence as the engine's is.
INSERT INTO ledger (sku, seq, journal_partition, stream_id, kind, reference_id, delta, available_after, reason, task_id, journal_at)
VALUES (@sku, @seq, @journal_partition, @stream_id, @kind, @reference_id, @delta, @available_after, @reason, 0, to_timestamp(@journal_ms / 1000.0))
ON CONFLICT (sku, seq) DO NOTHING;
UPDATE stock
SET available = @available_after, last_seq = @seq, updated_at = now()
WHERE sku = @sku AND last_seq < @seq;
