-- dbo.task_NN is replaced by the shard's table. A taken dedupe key inserts nothing and returns no row;
-- the key-range lock (UPDLOCK, HOLDLOCK) makes two racing inserts of one key wait for each other.
INSERT INTO dbo.task_NN (kind, status, attempts, max_attempts, next_run_at, parent_id, parent_shard, dedupe_key, payload)
OUTPUT inserted.id
SELECT @kind, 'pending', 0, @max_attempts, SYSUTCDATETIME(), @parent_id, @parent_shard, @dedupe_key, @payload
WHERE NOT EXISTS (SELECT 1 FROM dbo.task_NN WITH (UPDLOCK, HOLDLOCK) WHERE dedupe_key = @dedupe_key);
