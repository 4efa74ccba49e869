#!lua
-- Gives back what one partition deducted for an order, exactly once: a customer's cancel ('cancel') or the
-- compensation of an attempt that must not stand ('void'). A partition with nothing deducted is marked so that
-- a deduction arriving later is refused (cancel) or the voided attempt can never land (void).
-- KEYS: stock, seq, journal, record, partition marker
-- ARGV: orderId, ttlSeconds, kind ('cancel' | 'void'), nonce to fence (or ''), expected lines (or ''),
--       lines to restock when the record expired but SQL's ledger holds the deduction (or '')
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local final = ARGV[3] == 'cancel' and 'cancelled' or 'voided'

-- A partition whose marker vanished lost its data (restart without persistence, replaced node): refuse until rebuilt.
if redis.call('EXISTS', KEYS[5]) == 0 then
  return {'lost'}
end

if ARGV[4] ~= '' then
  local fence = redis.call('HGET', KEYS[4], 'f') or ' '
  if not string.find(fence, ' ' .. ARGV[4] .. ' ', 1, true) then
    redis.call('HSET', KEYS[4], 'f', fence .. ARGV[4] .. ' ')
  end
end

local st = redis.call('HGET', KEYS[4], 'st')
if st == 'cancelled' or (st == 'voided' and final == 'voided') then
  redis.call('EXPIRE', KEYS[4], ARGV[2])
  return {st, redis.call('HGET', KEYS[4], 'cres') or ''}
end
local deducted
if st == 'deducted' then
  if ARGV[5] ~= '' and redis.call('HGET', KEYS[4], 'ln') ~= ARGV[5] then
    return {'mismatch'}
  end
  deducted = redis.call('HGET', KEYS[4], 'res')
elseif not st and ARGV[6] ~= '' then
  deducted = ARGV[6]
else
  redis.call('HSET', KEYS[4], 'st', final)
  redis.call('EXPIRE', KEYS[4], ARGV[2])
  return {'none'}
end

local result = {}
local id
for entry in string.gmatch(deducted, '[^,]+') do
  local sku, quantity = string.match(entry, '^(%S+) (%d+)')
  local left = redis.call('HINCRBY', KEYS[1], sku, quantity)
  local seq = redis.call('HINCRBY', KEYS[2], sku, 1)
  id = redis.call('XADD', KEYS[3], '*', 'k', ARGV[3], 'o', ARGV[1], 's', sku, 'd', quantity, 'q', seq, 'a', left, 't', now)
  result[#result + 1] = sku .. ' ' .. quantity .. ' ' .. left
end
result = table.concat(result, ',')
redis.call('HSET', KEYS[4], 'st', final, 'cres', result)
redis.call('EXPIRE', KEYS[4], ARGV[2])
return {final, result, id}
