-- Every order id the ledger holds (duplicates included: one per row), streamed to refill the seen filters.
SELECT reference_id
FROM ledger
WHERE kind IN ('deduct', 'cancel', 'void')
