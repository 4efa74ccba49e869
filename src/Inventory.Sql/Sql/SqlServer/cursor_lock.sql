-- Creates the partition's cursor at "0" the first time and locks it until commit either way: persist
-- transactions of one partition run one after the other, so no entry is copied by two of them.
SET NOCOUNT ON;
IF NOT EXISTS (SELECT 1 FROM dbo.journal_cursor WITH (UPDLOCK, HOLDLOCK) WHERE journal_partition = @partition)
    INSERT INTO dbo.journal_cursor (journal_partition, persisted_through) VALUES (@partition, '0');
SELECT persisted_through FROM dbo.journal_cursor WITH (UPDLOCK, HOLDLOCK) WHERE journal_partition = @partition;
