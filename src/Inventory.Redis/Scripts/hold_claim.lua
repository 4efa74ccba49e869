#!lua
-- Binds a reservation id to its lines on its home partition before any partition holds a unit, and schedules its
-- expiry at once: whatever happens to the caller from here on, the expiry loop finds the reservation at expiresAt.
-- Replies: {'go', attempt, expiresAt} hold every partition at this attempt (hold.lua); {'replay', answer, expiresAt}
-- the hold was answered before; {'conflict'} the id was used with other lines (or another customer); {'busy'} a
-- refused attempt is being rolled back; {'lost'} the home partition lost its data; {'seen'} no reservation here, but
-- the seen filter may know the id ("hold/<id>"): it may have ended before its home was lost, so ask SQL's ledger, then
-- claim again ('force' when SQL does not know it). A fresh id sets its bits.
-- KEYS: reservation, expiry, home marker, seen filter
-- ARGV: reservationId, fingerprint, lines, partitions, ttlMs, customerId, idempotencyTtlSeconds, mode ('new'|'force'),
--       then the bit offsets of "hold/<id>"
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if redis.call('EXISTS', KEYS[3]) == 0 then
  return {'lost'}
end

local h = redis.call('HMGET', KEYS[1], 'st', 'fp', 'n', 'x', 'res', 'rf')
local attempt = 1
if not h[1] then
  -- one BITFIELD both asks and records, as claim.lua does for order ids
  local set = {}
  for i = 9, #ARGV do
    set[#set + 1] = 'SET'
    set[#set + 1] = 'u1'
    set[#set + 1] = ARGV[i]
    set[#set + 1] = 1
  end
  local known = true
  for _, bit in ipairs(redis.call('BITFIELD', KEYS[4], unpack(set))) do
    if bit == 0 then
      known = false
      break
    end
  end
  if known and ARGV[8] == 'new' then
    return {'seen'}
  end
else
  if h[1] == 'released' and h[6] == '1' then
    -- A refused hold is not remembered, like a refused order: the same id may try again, with other lines too (at
    -- the next attempt, so the tombstones the refusal left in each partition do not answer for it).
    attempt = tonumber(h[3]) + 1
  elseif h[2] ~= ARGV[2] then
    return {'conflict'}
  elseif h[5] then
    return {'replay', h[5], h[4]}
  elseif h[1] == 'held' then
    -- An attempt that stopped midway: hold.lua is idempotent per (partition, attempt), so finish it.
    return {'go', h[3], h[4]}
  else
    return {'busy'}
  end
end

local expires = now + tonumber(ARGV[5])
redis.call('HDEL', KEYS[1], 'res', 'rres', 'rf', 'o', 'e', 'cres')
redis.call('HSET', KEYS[1], 'st', 'held', 'fp', ARGV[2], 'ln', ARGV[3], 'pt', ARGV[4], 'x', expires, 'n', attempt,
  'cu', ARGV[6], 't', now)
-- Outlives its own expiry by the idempotency TTL, so replays and GET answer long after the units came back.
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[5]) / 1000) + tonumber(ARGV[7]))
redis.call('ZADD', KEYS[2], expires, ARGV[1])
return {'go', tostring(attempt), tostring(expires)}
