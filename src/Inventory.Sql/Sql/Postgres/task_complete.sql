-- A parent whose children are still running waits for them; everything else is done.
UPDATE task_NN
SET status = CASE WHEN pending_children = 0 THEN 'done' ELSE 'waiting' END,
    lease_owner = NULL,
    lease_token = NULL,
    lease_expires_at = NULL,
    modified_at = now()
WHERE id IN (SELECT value::bigint FROM jsonb_array_elements_text(@ids::jsonb))
  AND lease_token = @token
  AND status = 'running'
