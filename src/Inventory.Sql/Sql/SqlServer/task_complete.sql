-- A parent whose children are still running waits for them; everything else is done.
UPDATE dbo.task_NN
SET status = CASE WHEN pending_children = 0 THEN 'done' ELSE 'waiting' END,
    lease_owner = NULL,
    lease_token = NULL,
    lease_expires_at = NULL,
    modified_at = SYSUTCDATETIME()
WHERE id IN (SELECT CAST(value AS bigint) FROM OPENJSON(@ids))
  AND lease_token = @token
  AND status = 'running';
