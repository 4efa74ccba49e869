UPDATE dbo.task_NN
SET pending_children = pending_children + @count,
    modified_at = SYSUTCDATETIME()
WHERE id = @id
  AND lease_token = @token
  AND status = 'running';
