-- Creates the partition's cursor at "0" the first time and locks it until commit either way: persist
-- transactions of one partition run one after the other, so no entry is copied by two of them.
INSERT INTO journal_cursor (journal_partition, persisted_through)
VALUES (@partition, '0')
ON CONFLICT (journal_partition) DO UPDATE SET journal_partition = excluded.journal_partition
RETURNING persisted_through
