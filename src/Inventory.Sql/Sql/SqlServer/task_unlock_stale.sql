-- One atomic statement: UPDLOCK reads each candidate's current row under a lock and checks expiry there, so a
-- task that finished (or was renewed) meanwhile no longer qualifies; READPAST passes over rows being written.
WITH stale AS (
    SELECT TOP (@batch) *
    FROM dbo.task_NN WITH (READPAST, UPDLOCK, ROWLOCK)
    WHERE status = 'running' AND lease_expires_at < SYSUTCDATETIME()
    ORDER BY lease_expires_at
)
UPDATE stale
SET status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'pending' END,
    next_run_at = SYSUTCDATETIME(),
    last_error = CONCAT(N'lease of ', COALESCE(lease_owner, N'?'), N' expired'),
    lease_owner = NULL,
    lease_token = NULL,
    lease_expires_at = NULL,
    modified_at = SYSUTCDATETIME();
