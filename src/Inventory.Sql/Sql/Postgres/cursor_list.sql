SELECT journal_partition, persisted_through, updated_at
FROM journal_cursor
ORDER BY journal_partition
