UPDATE task_NN
SET status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'pending' END,
    next_run_at = now() + make_interval(secs => @delay_ms / 1000.0),
    lease_owner = NULL,
    lease_token = NULL,
    lease_expires_at = NULL,
    last_error = @error,
    modified_at = now()
WHERE id IN (SELECT value::bigint FROM jsonb_array_elements_text(@ids::jsonb))
  AND lease_token = @token
  AND status = 'running'
