#!lua
-- Replaces a single-partition claim whose attempt provably never deducted (its nonce is fenced) with a new one.
-- KEYS: claim
-- ARGV: expected nonce, fingerprint, encodedLines, partitions, nonce, ttlSeconds
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if redis.call('HGET', KEYS[1], 'st') ~= 'single' or redis.call('HGET', KEYS[1], 'n') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'fp', ARGV[2], 'ln', ARGV[3], 'ps', ARGV[4], 'n', ARGV[5], 't', now)
redis.call('EXPIRE', KEYS[1], ARGV[6])
return 1
