#!lua
-- A write that changes nothing, for durable acknowledgements: sets a key's expiry to the instant it already has.
-- WAIT covers only this connection's writes; replication is one ordered stream per primary, so once a replica
-- confirms this write it has every earlier write of the key (another process's, which this answer rests on).
-- KEYS: the key
local left = redis.call('PTTL', KEYS[1])
if left > 0 then
  redis.call('PEXPIRE', KEYS[1], left)
  return 1
end
return 0
