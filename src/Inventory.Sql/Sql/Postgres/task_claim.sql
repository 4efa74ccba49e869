-- One statement per batch. SKIP LOCKED passes over rows another worker is claiming; MATERIALIZED keeps the
-- planner from re-running the LIMIT subquery (which could claim more than @batch rows).
WITH due AS MATERIALIZED (
    SELECT id
    FROM task_NN
    WHERE status = 'pending' AND next_run_at <= now()
    ORDER BY next_run_at, id
    LIMIT @batch
    FOR UPDATE SKIP LOCKED
)
UPDATE task_NN AS t
SET status = 'running',
    attempts = t.attempts + 1,
    lease_owner = @owner,
    lease_token = @token,
    lease_expires_at = now() + make_interval(secs => @lease_ms / 1000.0),
    modified_at = now()
FROM due
WHERE t.id = due.id
RETURNING t.id, t.kind, t.attempts, t.max_attempts, t.parent_id, t.parent_shard, t.pending_children, t.dedupe_key, t.payload, t.lease_token
