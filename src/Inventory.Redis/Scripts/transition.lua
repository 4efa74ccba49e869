#!lua
-- Moves a claim from one state to another if it is still where the caller left it (compare and set).
-- KEYS: claim, pending
-- ARGV: orderId, from states (space separated), to, nonce ('' = any), ttlSeconds
local current = redis.call('GET', KEYS[1])
if not current then
  return {'moved', ''}
end
local bar = string.find(current, '|', 1, true)
local st = string.sub(current, 1, bar - 1)
local rest = string.sub(current, bar + 1)
if not string.find(' ' .. ARGV[2] .. ' ', ' ' .. st .. ' ', 1, true) then
  return {'moved', st}
end
if ARGV[4] ~= '' and string.sub(rest, 1, #ARGV[4] + 1) ~= ARGV[4] .. '|' then
  return {'moved', st}
end
redis.call('SET', KEYS[1], ARGV[3] .. '|' .. rest, 'EX', ARGV[5])
if ARGV[3] ~= 'pending' and ARGV[3] ~= 'compensating' then
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return {'ok', st}
