SELECT status,
       COUNT_BIG(*) AS task_count,
       CAST(DATEDIFF_BIG(millisecond, MIN(created_at), SYSUTCDATETIME()) AS float) / 1000.0 AS oldest_age_seconds
FROM dbo.task_NN
GROUP BY status;
