#!lua
-- Back-check after an unknown outcome: report what this partition decided for the order, and if it decided
-- nothing yet, make sure the attempt named by the nonce never will.
-- KEYS: record
-- ARGV: nonce, ttlSeconds
local st = redis.call('HGET', KEYS[1], 'st')
if st == 'deducted' or st == 'cancelled' then
  return {st, redis.call('HGET', KEYS[1], 'ln'), redis.call('HGET', KEYS[1], 'res')}
end
local fence = redis.call('HGET', KEYS[1], 'f') or ' '
if not string.find(fence, ' ' .. ARGV[1] .. ' ', 1, true) then
  fence = fence .. ARGV[1] .. ' '
end
redis.call('HSET', KEYS[1], 'f', fence)
if not st then
  redis.call('HSET', KEYS[1], 'st', 'fenced')
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {'fenced'}
