#!lua
-- Cancel by id, on the claim. An unknown id gets a tomb (a later deduction under it is refused) unless the seen
-- filter may know it ({'seen'}: ask SQL first). Otherwise the claim becomes cancelled for ever and the caller
-- reverts every partition: {'revert', partitions, restored, lines, results, returned}. The decision joins the open
-- cancels in the same step, so a caller that dies or fails before every partition restocked leaves it to the sweep.
-- KEYS: claim, pending, seen filter, home marker, open cancels
-- ARGV: orderId, ttlSeconds, mode ('new'|'force'), bit offsets...
if redis.call('EXISTS', KEYS[4]) == 0 then
  return {'lost'}
end
local c = redis.call('HMGET', KEYS[1], 'st', 'pt', 'r', 'ln', 'res', 'rt')
local st = c[1]
if not st then
  if ARGV[3] == 'new' then
    local known = true
    for i = 4, #ARGV do
      if redis.call('GETBIT', KEYS[3], ARGV[i]) == 0 then
        known = false
        break
      end
    end
    if known then
      return {'seen'}
    end
  end
  for i = 4, #ARGV do
    redis.call('SETBIT', KEYS[3], ARGV[i], 1)
  end
  redis.call('HSET', KEYS[1], 'st', 'tomb')
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  return {'tomb'}
end
if st == 'tomb' then
  return {'tomb'}
end
if st ~= 'cancelled' then
  local now = redis.call('TIME')
  redis.call('HSET', KEYS[1], 'st', 'cancelled')
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZADD', KEYS[5], tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000), ARGV[1])
end
-- Remembered for a full TTL from the cancel, so SQL has the whole TTL to persist the restock before Redis forgets.
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {'revert', c[2] or '', c[3] or '', c[4] or '', c[5] or '', c[6] or ''}
