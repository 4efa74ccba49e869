WITH doomed AS MATERIALIZED (
    SELECT id
    FROM task_NN
    WHERE status = 'done' AND modified_at < now() - make_interval(secs => @older_than_seconds)
    ORDER BY modified_at
    LIMIT @batch
    FOR UPDATE SKIP LOCKED
)
DELETE FROM task_NN AS t
USING doomed
WHERE t.id = doomed.id
  AND t.status = 'done'
