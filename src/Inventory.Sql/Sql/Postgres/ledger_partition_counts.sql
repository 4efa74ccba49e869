-- Order rows per journal partition since a time: the rebuild's work per partition (smallest first) and its total.
SELECT journal_partition AS partition, count(*) AS rows
FROM ledger
WHERE kind IN ('deduct', 'commit', 'cancel', 'void', 'return') AND journal_at >= @since
GROUP BY journal_partition
