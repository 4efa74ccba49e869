#!lua
-- One instance rebuilds a lost partition at a time: take (or renew) the partition's rebuild lock, and publish the
-- holder's progress for the other instances' health. Not part of the deduction protocol: it guards only the rebuild.
-- KEYS: rebuild lock (hash: owner, progress)
-- ARGV: owner, ttlMs, progress
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and owner ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'progress', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
