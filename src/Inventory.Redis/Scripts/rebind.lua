#!lua
-- Moves an open claim to other lines at the next epoch, once the caller fenced every partition of the old lines at
-- the old epoch and none had deducted. Only if the claim is still exactly what was fenced.
-- KEYS: claim, pending
-- ARGV: orderId, expected epoch, expected fingerprint, fingerprint, lines, partitions, multi, ttlSeconds
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local c = redis.call('HMGET', KEYS[1], 'st', 'e', 'fp')
if c[1] ~= 'open' or c[2] ~= ARGV[2] or c[3] ~= ARGV[3] then
  return {'moved'}
end
local epoch = tonumber(ARGV[2]) + 1
redis.call('HSET', KEYS[1], 'e', epoch, 'fp', ARGV[4], 'ln', ARGV[5], 'pt', ARGV[6], 't', now)
redis.call('EXPIRE', KEYS[1], ARGV[8])
if ARGV[7] == '1' then
  redis.call('ZADD', KEYS[2], now, ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return {'go', tostring(epoch)}
