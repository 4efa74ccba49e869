#!lua
-- Sets a SKU's absolute stock and its per-customer limit, optionally only if the stock still holds what the caller
-- saw (compare and set). A change of either is one 'set' entry: 'l' carries the limit after it, so SQL keeps the
-- limit as stock configuration and a rebuild finds it (docs/redis-keys.md, rule 12).
-- KEYS: stock, seq, journal, partition marker, limits
-- ARGV: sku, available, expected ('' = no check), limitPerCustomer ('' = no limit)
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)

-- A partition whose marker vanished lost its data (restart without persistence, replaced node): refuse until rebuilt.
if redis.call('EXISTS', KEYS[4]) == 0 then
  return {'lost'}
end
local current = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[3] ~= '' and tonumber(current or '0') ~= tonumber(ARGV[3]) then
  return {'rejected', current or '0'}
end
local limit = redis.call('HGET', KEYS[5], ARGV[1]) or ''
if current == ARGV[2] and limit == ARGV[4] then
  return {'applied', current}
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[4] == '' then
  redis.call('HDEL', KEYS[5], ARGV[1])
else
  redis.call('HSET', KEYS[5], ARGV[1], ARGV[4])
end
local seq = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
local delta = tostring(tonumber(ARGV[2]) - tonumber(current or '0'))
local id = redis.call('XADD', KEYS[3], '*', 'k', 'set', 'o', '', 's', ARGV[1], 'd', delta, 'q', seq, 'a', ARGV[2], 't', now, 'l', ARGV[4])
return {'applied', ARGV[2], id}
