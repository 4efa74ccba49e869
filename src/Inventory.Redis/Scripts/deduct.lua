#!lua
-- Checks and deducts every line of one order that lives in this partition, or none of them.
-- Nothing is written unless every line fits, so stock never dips below zero, not even for a moment.
-- KEYS: stock, seq, journal, record, partition marker
-- ARGV: orderId, epoch, deadlineMs, ttlSeconds, linesFingerprint, journalLimit, then sku, quantity pairs, then
--       customerId ('' = none)
-- Only sent after claim.lua answered 'go' with this epoch (docs/redis-keys.md, rules 1-3, 12).
-- The limit and customer keys share the stock key's hash tag (same slot), so they are derived here rather than
-- passed: one customer argument is all an order adds.
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)

-- A partition whose marker vanished lost its data (restart without persistence, replaced node): refuse until rebuilt.
if redis.call('EXISTS', KEYS[5]) == 0 then
  return {'lost'}
end

local record = redis.call('HMGET', KEYS[4], 'st', 'ln', 'res', 'e')
local st = record[1]
if st == 'deducted' then
  if record[2] ~= ARGV[5] then
    return {'conflict'}
  end
  -- A write, though nothing changes: replication is one ordered stream, so a WAIT after this replay also covers the
  -- original landing, which another connection may have written moments ago.
  redis.call('EXPIRE', KEYS[4], ARGV[4])
  return {'deducted', record[3], '1'}
elseif st == 'cancelled' then
  return {'cancelled'}
elseif st == 'fenced' and tonumber(ARGV[2]) <= tonumber(record[4]) then
  return {'fenced'}
end

-- A command stuck in a paused connection must not land after its caller was told something else.
if now > tonumber(ARGV[3]) then
  return {'expired'}
end

-- While SQL is away the journal grows; past the bound new sales are refused rather than run Redis out of memory.
if redis.call('XLEN', KEYS[3]) >= tonumber(ARGV[6]) then
  return {'backlog'}
end

local lines = (#ARGV - 7) / 2
local available = {}
local unknown = {'unknown'}
local short = false
for i = 1, lines do
  local sku = ARGV[5 + 2 * i]
  local left = redis.call('HGET', KEYS[1], sku)
  if not left then
    unknown[#unknown + 1] = sku
  else
    left = tonumber(left)
    available[i] = left
    if left < tonumber(ARGV[6 + 2 * i]) then
      short = true
    end
  end
end
if #unknown > 1 then
  return unknown
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

-- Per-customer limits, checked in the same script as the stock: two orders of one customer cannot both pass.
local customer = ARGV[#ARGV]
local taken
if customer ~= '' then
  local tag = string.sub(KEYS[1], 1, -7)
  taken = tag .. ':cu:' .. customer
  local over = {'limit_exceeded'}
  for i = 1, lines do
    local sku = ARGV[5 + 2 * i]
    local limit = redis.call('HGET', tag .. ':lim', sku)
    if limit then
      local already = tonumber(redis.call('HGET', taken, sku) or '0')
      if already + tonumber(ARGV[6 + 2 * i]) > tonumber(limit) then
        over[#over + 1] = sku
        over[#over + 1] = limit
        over[#over + 1] = tostring(already)
        over[#over + 1] = ARGV[6 + 2 * i]
      end
    end
  end
  if #over > 1 then
    return over
  end
end

local result = {}
local id
for i = 1, lines do
  local sku = ARGV[5 + 2 * i]
  local quantity = ARGV[6 + 2 * i]
  local left = redis.call('HINCRBY', KEYS[1], sku, '-' .. quantity)
  if taken then
    redis.call('HINCRBY', taken, sku, quantity)
  end
  local seq = redis.call('HINCRBY', KEYS[2], sku, 1)
  id = redis.call('XADD', KEYS[3], '*', 'k', 'deduct', 'o', ARGV[1], 's', sku, 'd', '-' .. quantity, 'q', seq, 'a', left, 't', now, 'c', customer)
  result[i] = sku .. ' ' .. quantity .. ' ' .. left
end
result = table.concat(result, ',')
redis.call('HSET', KEYS[4], 'st', 'deducted', 'e', ARGV[2], 'ln', ARGV[5], 'res', result, 't', now, 'cu', customer)
redis.call('EXPIRE', KEYS[4], ARGV[4])
return {'deducted', result, '0', id}
