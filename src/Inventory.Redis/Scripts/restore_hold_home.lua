#!lua
-- Rebuild after data loss: puts back a reservation SQL's ledger shows still held on its lost home partition, and
-- schedules its expiry at the expiresAt its hold rows carry (past already: the expiry loop gives the units back at
-- once). With an order id, a commit converted some of its partitions to that order and stopped: the home comes back
-- committing with all its lines, due at once, so the expiry loop rolls the commit forward instead of releasing the
-- rest (red-team finding 3). A home that survived is newer than SQL: left as it is.
-- KEYS: reservation, expiry
-- ARGV: reservationId, fingerprint, lines, partitions, expiresAt (ms), attempt, customerId, answer, ttlSeconds, orderId
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'st', 'held', 'fp', ARGV[2], 'ln', ARGV[3], 'pt', ARGV[4], 'x', ARGV[5], 'n', ARGV[6],
  'cu', ARGV[7], 'res', ARGV[8], 't', 0)
redis.call('EXPIRE', KEYS[1], ARGV[9])
if (ARGV[10] or '') ~= '' then
  redis.call('HSET', KEYS[1], 'st', 'committing', 'o', ARGV[10])
  redis.call('ZADD', KEYS[2], 0, ARGV[1])
else
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
end
return 1
