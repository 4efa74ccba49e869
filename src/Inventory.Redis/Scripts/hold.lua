#!lua
-- Holds every line of one reservation that lives in this partition, or none of them: the units leave 'stock' (no
-- one else can buy them) and are counted in 'held'. With a customer id, each line must also fit the SKU's
-- per-customer limit (cu[sku] + q <= lim[sku]), checked in this same script so two parallel requests of one customer
-- serialise here. Journaled as 'hold' (o: the reservation id, d: minus the units, r: "expiresAt attempt [customerId]",
-- what a rebuild from SQL needs to put the hold back). Idempotent per (record, attempt).
-- KEYS: stock, seq, journal, hold record, partition marker, held, per-customer limits, the customer's counters
-- ARGV: reservationId, attempt, recordTtlSeconds, journalLimit, customerId ('' = none), expiresAt (ms), then sku,
--       quantity pairs
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if redis.call('EXISTS', KEYS[5]) == 0 then
  return {'lost'}
end

local r = redis.call('HMGET', KEYS[4], 'st', 'n', 'res')
if r[1] and tonumber(r[2]) >= tonumber(ARGV[2]) then
  if r[1] == 'held' or r[1] == 'committed' then
    redis.call('EXPIRE', KEYS[4], ARGV[3])
    return {'held', r[3], '1'}
  end
  -- Released or expired at this attempt (a tombstone, if it never held here): a late hold must not land.
  return {'gone', r[1]}
end

if redis.call('XLEN', KEYS[3]) >= tonumber(ARGV[4]) then
  return {'backlog'}
end

local lines = (#ARGV - 6) / 2
local available = {}
local unknown = {'unknown'}
local short = false
for i = 1, lines do
  local sku = ARGV[5 + 2 * i]
  local left = redis.call('HGET', KEYS[1], sku)
  if not left then
    unknown[#unknown + 1] = sku
  else
    available[i] = tonumber(left)
    if available[i] < tonumber(ARGV[6 + 2 * i]) then
      short = true
    end
  end
end
if #unknown > 1 then
  return unknown
end

local customer = ARGV[5]
if customer ~= '' then
  local over = {'limit_exceeded'}
  for i = 1, lines do
    local sku = ARGV[5 + 2 * i]
    local limit = redis.call('HGET', KEYS[7], sku)
    if limit then
      local taken = tonumber(redis.call('HGET', KEYS[8], sku) or '0')
      if taken + tonumber(ARGV[6 + 2 * i]) > tonumber(limit) then
        over[#over + 1] = sku
        over[#over + 1] = limit
        over[#over + 1] = tostring(taken)
        over[#over + 1] = ARGV[6 + 2 * i]
      end
    end
  end
  if #over > 1 then
    return over
  end
end

if short then
  local reply = {'insufficient'}
  for i = 1, lines do
    reply[#reply + 1] = ARGV[5 + 2 * i]
    reply[#reply + 1] = ARGV[6 + 2 * i]
    reply[#reply + 1] = tostring(available[i])
  end
  return reply
end

local result = {}
local held = {}
local id
local reason = ARGV[6] .. ' ' .. ARGV[2]
if customer ~= '' then
  reason = reason .. ' ' .. customer
end
for i = 1, lines do
  local sku = ARGV[5 + 2 * i]
  local quantity = ARGV[6 + 2 * i]
  local left = redis.call('HINCRBY', KEYS[1], sku, '-' .. quantity)
  redis.call('HINCRBY', KEYS[6], sku, quantity)
  if customer ~= '' then
    redis.call('HINCRBY', KEYS[8], sku, quantity)
  end
  local seq = redis.call('HINCRBY', KEYS[2], sku, 1)
  id = redis.call('XADD', KEYS[3], '*', 'k', 'hold', 'o', ARGV[1], 's', sku, 'd', '-' .. quantity, 'q', seq, 'a', left, 't', now, 'r', reason, 'c', customer)
  result[i] = sku .. ' ' .. quantity .. ' ' .. left
  held[i] = sku .. ' ' .. quantity
end
result = table.concat(result, ',')
redis.call('HSET', KEYS[4], 'st', 'held', 'n', ARGV[2], 'ln', table.concat(held, ','), 'res', result, 'cu', customer, 't', now)
redis.call('HDEL', KEYS[4], 'rres', 'o')
redis.call('EXPIRE', KEYS[4], ARGV[3])
return {'held', result, '0', id}
