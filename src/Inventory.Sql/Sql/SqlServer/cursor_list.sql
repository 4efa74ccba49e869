SELECT journal_partition, persisted_through, updated_at
FROM dbo.journal_cursor
ORDER BY journal_partition;
