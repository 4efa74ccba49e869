-- task_NN is replaced by the shard's table. A taken dedupe key inserts nothing and returns no row.
INSERT INTO task_NN (kind, status, attempts, max_attempts, next_run_at, parent_id, parent_shard, dedupe_key, payload)
VALUES (@kind, 'pending', 0, @max_attempts, now(), @parent_id, @parent_shard, @dedupe_key, @payload)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id
