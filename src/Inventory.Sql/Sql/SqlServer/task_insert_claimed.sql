-- The queue trigger's "lock and create": the task is born leased to its creator. A taken dedupe key
-- (a duplicate message) inserts nothing and returns no row.
INSERT INTO dbo.task_NN (kind, status, attempts, max_attempts, next_run_at, lease_owner, lease_token, lease_expires_at,
                         parent_id, parent_shard, dedupe_key, payload)
OUTPUT inserted.id, inserted.kind, inserted.attempts, inserted.max_attempts, inserted.parent_id, inserted.parent_shard,
       inserted.pending_children, inserted.dedupe_key, inserted.payload, inserted.lease_token
SELECT @kind, 'running', 1, @max_attempts, SYSUTCDATETIME(), @owner, @token, DATEADD(millisecond, @lease_ms, SYSUTCDATETIME()),
       @parent_id, @parent_shard, @dedupe_key, @payload
WHERE NOT EXISTS (SELECT 1 FROM dbo.task_NN WITH (UPDLOCK, HOLDLOCK) WHERE dedupe_key = @dedupe_key);
