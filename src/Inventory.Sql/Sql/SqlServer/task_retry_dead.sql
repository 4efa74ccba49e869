UPDATE dbo.task_NN
SET status = 'pending',
    attempts = 0,
    next_run_at = SYSUTCDATETIME(),
    modified_at = SYSUTCDATETIME()
WHERE id = @id
  AND status = 'dead';
