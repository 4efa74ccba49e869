-- The queue trigger's "lock and create": the task is born leased to its creator. A taken dedupe key
-- (a duplicate message) inserts nothing and returns no row.
INSERT INTO task_NN (kind, status, attempts, max_attempts, next_run_at, lease_owner, lease_token, lease_expires_at,
                     parent_id, parent_shard, dedupe_key, payload)
VALUES (@kind, 'running', 1, @max_attempts, now(), @owner, @token, now() + make_interval(secs => @lease_ms / 1000.0),
        @parent_id, @parent_shard, @dedupe_key, @payload)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id, kind, attempts, max_attempts, parent_id, parent_shard, pending_children, dedupe_key, payload, lease_token
