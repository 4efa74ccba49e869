-- One atomic statement that re-checks expiry on the row it updates, so a task that finished (or was renewed)
-- after the subquery saw it is left alone. SKIP LOCKED passes over rows a live transaction is writing.
UPDATE task_NN
SET status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'pending' END,
    next_run_at = now(),
    last_error = 'lease of ' || coalesce(lease_owner, '?') || ' expired',
    lease_owner = NULL,
    lease_token = NULL,
    lease_expires_at = NULL,
    modified_at = now()
WHERE id IN (
        SELECT id
        FROM task_NN
        WHERE status = 'running' AND lease_expires_at < now()
        ORDER BY lease_expires_at
        LIMIT @batch
        FOR UPDATE SKIP LOCKED)
  AND status = 'running'
  AND lease_expires_at < now()
