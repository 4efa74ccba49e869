SELECT status,
       count(*) AS task_count,
       extract(epoch FROM now() - min(created_at))::float8 AS oldest_age_seconds
FROM task_NN
GROUP BY status
