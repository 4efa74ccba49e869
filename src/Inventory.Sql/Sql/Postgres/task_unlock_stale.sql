-- One atomic statement: the locking subquery re-checks expiry on the current row version, and the UPDATE
-- re-checks it again, so a task that finished (or was renewed) after it was first seen is left alone. SKIP
-- LOCKED passes over rows a live transaction is writing; MATERIALIZED runs the LIMIT subquery exactly once.
WITH stale AS MATERIALIZED (
    SELECT id
    FROM task_NN
    WHERE status = 'running' AND lease_expires_at < now()
    ORDER BY lease_expires_at
    LIMIT @batch
    FOR UPDATE SKIP LOCKED
)
UPDATE task_NN AS t
SET status = CASE WHEN t.attempts >= t.max_attempts THEN 'dead' ELSE 'pending' END,
    next_run_at = now(),
    last_error = 'lease of ' || coalesce(t.lease_owner, '?') || ' expired',
    lease_owner = NULL,
    lease_token = NULL,
    lease_expires_at = NULL,
    modified_at = now()
FROM stale
WHERE t.id = stale.id
  AND t.status = 'running'
  AND t.lease_expires_at < now()
