UPDATE task_NN
SET status = 'pending',
    attempts = 0,
    next_run_at = now(),
    modified_at = now()
WHERE id = @id
  AND status = 'dead'
