UPDATE dbo.journal_cursor
SET persisted_through = @persisted_through,
    updated_at = SYSUTCDATETIME()
WHERE journal_partition = @partition;
