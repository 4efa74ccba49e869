-- Fan-in on the parent (task_NN is the parent's shard). Not lease-guarded: the child holds no lease on its
-- parent. It runs in the child's completion transaction, whose own fenced update makes it happen once per child.
-- Only a waiting parent becomes done; a parent still running its pages completes itself.
UPDATE task_NN
SET pending_children = pending_children - @count,
    status = CASE WHEN status = 'waiting' AND pending_children = @count THEN 'done' ELSE status END,
    modified_at = now()
WHERE id = @parent_id
  AND pending_children >= @count
