SELECT id, kind, status, attempts, max_attempts, next_run_at, lease_owner, lease_expires_at, parent_id, parent_shard,
       pending_children, dedupe_key, payload, last_error, created_at, modified_at
FROM task_NN
WHERE status = 'dead'
ORDER BY modified_at DESC
LIMIT @limit
