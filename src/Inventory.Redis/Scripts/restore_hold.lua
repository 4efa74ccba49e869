#!lua
-- Rebuild after data loss: puts back one partition's part of a reservation SQL's ledger shows still held (hold rows
-- with no later release, expire or commit), and counts its units in 'held', so its expiry, release or commit moves
-- them exactly once as before. A record that survived is newer than SQL: left as it is.
-- KEYS: hold record, held
-- ARGV: attempt, lines here ("sku qty,..."), result here ("sku qty available,..."), customerId, ttlSeconds
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'st', 'held', 'n', ARGV[1], 'ln', ARGV[2], 'res', ARGV[3], 'cu', ARGV[4], 't', 0)
redis.call('EXPIRE', KEYS[1], ARGV[5])
for entry in string.gmatch(ARGV[2], '[^,]+') do
  local sku, quantity = string.match(entry, '^(%S+) (%d+)')
  redis.call('HINCRBY', KEYS[2], sku, quantity)
end
return 1
