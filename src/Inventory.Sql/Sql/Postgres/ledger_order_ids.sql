-- Every order id the ledger holds (duplicates included: one per row), streamed to refill the seen filters. A
-- reservation's commit names its order ('commit' rows carry the order id). Reservation ids come as 'hold/<id>' (an id
-- never contains '/'): they are remembered in the filter of their own home under that spelling.
SELECT reference_id
FROM ledger
WHERE kind IN ('deduct', 'commit', 'cancel', 'void')
UNION ALL
SELECT 'hold/' || reference_id
FROM ledger
WHERE kind = 'hold'
