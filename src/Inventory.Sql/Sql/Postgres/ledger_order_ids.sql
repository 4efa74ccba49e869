-- Every order id the ledger holds (duplicates included: one per row), streamed to refill the seen filters. A
-- reservation's commit names its order ('commit' rows carry the order id).
SELECT reference_id
FROM ledger
WHERE kind IN ('deduct', 'commit', 'cancel', 'void')
