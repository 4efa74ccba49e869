DELETE TOP (@batch)
FROM dbo.task_NN WITH (READPAST, ROWLOCK)
WHERE status = 'done'
  AND modified_at < DATEADD(second, -@older_than_seconds, SYSUTCDATETIME());
