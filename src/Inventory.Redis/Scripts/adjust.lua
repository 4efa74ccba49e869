#!lua
-- Adds or removes units relative to what is there, once per adjustment id, never below zero.
-- KEYS: stock, seq, journal, adjustment record, partition marker
-- ARGV: sku, adjustmentId, delta, reason, ttlSeconds, maximum stock
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)

-- A partition whose marker vanished lost its data (restart without persistence, replaced node): refuse until rebuilt.
if redis.call('EXISTS', KEYS[5]) == 0 then
  return {'lost'}
end
local signature = ARGV[1] .. ' ' .. ARGV[3]
local previous = redis.call('HGET', KEYS[4], 'sig')
if previous then
  if previous ~= signature then
    return {'conflict'}
  end
  -- A write, so that a durable acknowledgement's WAIT on this connection also covers the original adjustment.
  redis.call('EXPIRE', KEYS[4], ARGV[5])
  return {'replayed', redis.call('HGET', KEYS[4], 'a')}
end
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then
  return {'unknown'}
end
local left = tonumber(current) + tonumber(ARGV[3])
if left < 0 or left > tonumber(ARGV[6]) then
  return {'rejected', current}
end
left = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[3])
local seq = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
local id = redis.call('XADD', KEYS[3], '*', 'k', 'adjust', 'o', ARGV[2], 's', ARGV[1], 'd', ARGV[3], 'q', seq, 'a', left, 't', now, 'r', ARGV[4])
redis.call('HSET', KEYS[4], 'sig', signature, 'a', left)
redis.call('EXPIRE', KEYS[4], ARGV[5])
return {'applied', tostring(left), id}
