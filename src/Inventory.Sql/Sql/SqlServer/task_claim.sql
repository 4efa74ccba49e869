-- One statement per batch. READPAST passes over rows other workers hold, UPDLOCK keeps two claimers from
-- qualifying the same row, ROWLOCK keeps the locks narrow; TOP in an ordered CTE claims the oldest due first.
WITH due AS (
    SELECT TOP (@batch) *
    FROM dbo.task_NN WITH (READPAST, UPDLOCK, ROWLOCK)
    WHERE status = 'pending' AND next_run_at <= SYSUTCDATETIME()
    ORDER BY next_run_at, id
)
UPDATE due
SET status = 'running',
    attempts = attempts + 1,
    lease_owner = @owner,
    lease_token = @token,
    lease_expires_at = DATEADD(millisecond, @lease_ms, SYSUTCDATETIME()),
    modified_at = SYSUTCDATETIME()
OUTPUT inserted.id, inserted.kind, inserted.attempts, inserted.max_attempts, inserted.parent_id, inserted.parent_shard,
       inserted.pending_children, inserted.dedupe_key, inserted.payload, inserted.lease_token;
