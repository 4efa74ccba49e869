UPDATE task_NN
SET lease_expires_at = now() + make_interval(secs => @lease_ms / 1000.0),
    modified_at = now()
WHERE id IN (SELECT value::bigint FROM jsonb_array_elements_text(@ids::jsonb))
  AND lease_token = @token
  AND status = 'running'
