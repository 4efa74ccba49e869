UPDATE journal_cursor
SET persisted_through = @persisted_through,
    updated_at = now()
WHERE journal_partition = @partition
