#!lua
-- Puts back a reservation that ended (committed, released, expired) before its home partition lost its data, as SQL's
-- ledger remembers it, so replays answer as they did: the hold's answer (res), the commit's (cres, '-' for a commit
-- that gave up) or the release's or expiry's (rres). Final, so not in the expiry set. A home that exists is newer than
-- SQL: left as it is; a home partition still being rebuilt answers 'lost' (its marker is written once it is whole).
-- KEYS: reservation, home marker
-- ARGV: state, fingerprint, lines, partitions, expiresAt (ms), attempt, customerId, answer, orderId, commit answer,
--       release or expiry answer, ttlSeconds
if redis.call('EXISTS', KEYS[2]) == 0 then
  return 'lost'
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 'exists'
end
redis.call('HSET', KEYS[1], 'st', ARGV[1], 'fp', ARGV[2], 'ln', ARGV[3], 'pt', ARGV[4], 'x', ARGV[5], 'n', ARGV[6],
  'cu', ARGV[7], 'res', ARGV[8], 't', 0)
if ARGV[9] ~= '' then
  redis.call('HSET', KEYS[1], 'o', ARGV[9], 'cres', ARGV[10])
else
  redis.call('HSET', KEYS[1], 'rres', ARGV[11])
end
redis.call('EXPIRE', KEYS[1], ARGV[12])
return 'restored'
