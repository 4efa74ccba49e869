UPDATE dbo.task_NN
SET status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'pending' END,
    next_run_at = DATEADD(millisecond, @delay_ms, SYSUTCDATETIME()),
    lease_owner = NULL,
    lease_token = NULL,
    lease_expires_at = NULL,
    last_error = @error,
    modified_at = SYSUTCDATETIME()
WHERE id IN (SELECT CAST(value AS bigint) FROM OPENJSON(@ids))
  AND lease_token = @token
  AND status = 'running';
