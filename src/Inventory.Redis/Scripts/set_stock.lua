#!lua
-- Sets a SKU's absolute stock, optionally only if it still holds what the caller saw (compare and set).
-- KEYS: stock, seq, journal, partition marker
-- ARGV: sku, available, expected ('' = no check)
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
if current == ARGV[2] then
  return {'applied', current}
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local seq = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
local delta = tostring(tonumber(ARGV[2]) - tonumber(current or '0'))
local id = redis.call('XADD', KEYS[3], '*', 'k', 'set', 'o', '', 's', ARGV[1], 'd', delta, 'q', seq, 'a', ARGV[2], 't', now)
return {'applied', ARGV[2], id}
