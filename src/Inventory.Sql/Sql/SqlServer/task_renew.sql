UPDATE dbo.task_NN
SET lease_expires_at = DATEADD(millisecond, @lease_ms, SYSUTCDATETIME()),
    modified_at = SYSUTCDATETIME()
WHERE id IN (SELECT CAST(value AS bigint) FROM OPENJSON(@ids))
  AND lease_token = @token
  AND status = 'running';
