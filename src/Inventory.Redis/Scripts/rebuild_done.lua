#!lua
-- The partition is rebuilt: write its marker (it sells again) and release the lock, but only while this instance
-- still holds the lock, so an instance whose lock expired mid-rebuild never opens a partition another one rebuilds.
-- KEYS: rebuild lock, marker
-- ARGV: owner, marker value
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('DEL', KEYS[1])
return 1
