#!lua
-- Puts back the claim of an order Redis forgot but SQL's ledger holds (state deducted or cancelled, restored='1'
-- for a deducted order whose records may be gone, 'c' for a cancelled one whose restock is done), unless a claim
-- exists again by now. Also used by the rebuild after data loss.
-- KEYS: claim, seen filter
-- ARGV: state, fingerprint, lines, partitions, result, restored, ttlSeconds, returned totals, bit offsets...
for i = 9, #ARGV do
  redis.call('SETBIT', KEYS[2], ARGV[i], 1)
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'st', ARGV[1], 'e', 1, 'fp', ARGV[2], 'ln', ARGV[3], 'pt', ARGV[4], 'res', ARGV[5], 't', 0, 'r', ARGV[6], 'rt', ARGV[8])
redis.call('EXPIRE', KEYS[1], ARGV[7])
return 1
