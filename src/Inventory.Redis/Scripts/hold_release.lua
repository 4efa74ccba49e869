#!lua
-- Gives one partition's held units back to stock, exactly once: 'release' (the caller's, or a refused attempt
-- rolled back) or 'expire' (the expiry loop). held -> released|expired on the record is the exactly-once point;
-- a record already final answers its stored result and restocks nothing. A partition that never held at this
-- attempt gets a tombstone, so a late hold.lua of the attempt cannot land. With a customer, the units leave the
-- customer's counters in this same script. Journaled as 'release' / 'expire' (o: the reservation id, d: the units).
-- A record of a later attempt is not this caller's (a late rollback of a refused attempt after the id was held
-- again): {'later'}, nothing changes.
-- KEYS: stock, seq, journal, hold record, partition marker, held, the customer's counters
-- ARGV: reservationId, kind ('release'|'expire'), attempt, recordTtlSeconds
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if redis.call('EXISTS', KEYS[5]) == 0 then
  return {'lost'}
end

local final = ARGV[2] == 'release' and 'released' or 'expired'
local r = redis.call('HMGET', KEYS[4], 'st', 'n', 'ln', 'cu', 'rres')
if not r[1] or tonumber(r[2]) < tonumber(ARGV[3]) then
  redis.call('DEL', KEYS[4])
  redis.call('HSET', KEYS[4], 'st', final, 'n', ARGV[3], 'rres', '')
  redis.call('EXPIRE', KEYS[4], ARGV[4])
  return {'none'}
end
if tonumber(r[2]) > tonumber(ARGV[3]) then
  return {'later'}
elseif r[1] == 'committed' then
  return {'committed'}
elseif r[1] ~= 'held' then
  redis.call('EXPIRE', KEYS[4], ARGV[4])
  return {'done', r[5] or ''}
end

local result = {}
local id
for entry in string.gmatch(r[3] or '', '[^,]+') do
  local sku, quantity = string.match(entry, '^(%S+) (%d+)')
  local left = redis.call('HINCRBY', KEYS[1], sku, quantity)
  if redis.call('HINCRBY', KEYS[6], sku, '-' .. quantity) <= 0 then
    redis.call('HDEL', KEYS[6], sku)
  end
  if (r[4] or '') ~= '' and redis.call('HINCRBY', KEYS[7], sku, '-' .. quantity) <= 0 then
    redis.call('HDEL', KEYS[7], sku)
  end
  local seq = redis.call('HINCRBY', KEYS[2], sku, 1)
  id = redis.call('XADD', KEYS[3], '*', 'k', ARGV[2], 'o', ARGV[1], 's', sku, 'd', quantity, 'q', seq, 'a', left, 't', now, 'c', r[4] or '')
  result[#result + 1] = sku .. ' ' .. quantity .. ' ' .. left
end
result = table.concat(result, ',')
redis.call('HSET', KEYS[4], 'st', final, 'rres', result)
redis.call('EXPIRE', KEYS[4], ARGV[4])
return {ARGV[2], result, id}
