#!lua
-- Replaces a claim whose attempt provably never deducted with a new one, if it is still exactly what the caller saw.
-- KEYS: claim
-- ARGV: expected value, new value, ttlSeconds
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
