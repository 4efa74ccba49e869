#!lua
-- Moves a claim from one state to another if it is still where the caller left it (compare and set).
-- KEYS: claim, pending
-- ARGV: orderId, from states (space separated), to, nonce ('' = any), ttlSeconds
local st = redis.call('HGET', KEYS[1], 'st')
if not st or not string.find(' ' .. ARGV[2] .. ' ', ' ' .. st .. ' ', 1, true) then
  return {'moved', st or ''}
end
if ARGV[4] ~= '' and redis.call('HGET', KEYS[1], 'n') ~= ARGV[4] then
  return {'moved', st}
end
redis.call('HSET', KEYS[1], 'st', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[5])
if ARGV[3] ~= 'pending' and ARGV[3] ~= 'compensating' then
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return {'ok', st}
