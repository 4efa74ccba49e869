#!lua
-- Gives back what one partition deducted for an order, exactly once: a customer's cancel ('cancel', final: the
-- record becomes cancelled and refuses every later deduction) or the abort of a multi-partition attempt ('void':
-- only a deduction at this epoch; the record becomes fenced at it, so no deduction of the epoch lands later).
-- A cancel restocks only what returns (return_apply.lua) left: the record's 'ret' totals, read in this same script,
-- so a return and a cancel of one partition never both restock a unit. A SKU returned in full still gets its cancel
-- entry (quantity 0), so SQL's ledger shows the order cancelled for every SKU it deducted.
-- KEYS: stock, seq, journal, record, partition marker
-- The customer's allowance (docs/redis-keys.md, rule 12) comes back with the units, in this same script.
-- ARGV: orderId, ttlSeconds, kind ('cancel' | 'void'), epoch (void), lines to restock when the record is gone but
--       SQL's ledger holds the deduction (or ''), 'ask' to answer {'absent'} for a missing record instead of deciding,
--       the customer of those ledger lines (or '')
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if redis.call('EXISTS', KEYS[5]) == 0 then
  return {'lost'}
end

local r = redis.call('HMGET', KEYS[4], 'st', 'e', 'res', 'cres', 'ret', 'q', 'cu')
local st = r[1]
local cancel = ARGV[3] == 'cancel'
-- 'q': cancelled while SQL's ledger is asked what was sold here (the record was missing); deductions are already
-- refused, and the cancel that comes back with SQL's answer restocks it, once.
local asking = st == 'cancelled' and r[6] == '1'
if st == 'cancelled' and not (asking and cancel) then
  -- A write, so that a durable acknowledgement's WAIT on this connection also covers the original restock.
  redis.call('EXPIRE', KEYS[4], ARGV[2])
  return {'cancelled', r[4] or ''}
end

local deducted
local customer = r[7] or ''
if cancel then
  if st == 'deducted' then
    deducted = r[3]
  elseif (not st or asking) and ARGV[5] ~= '' then
    deducted = ARGV[5]
    customer = ARGV[7] or ''
  elseif (not st or asking) and ARGV[6] == 'ask' then
    -- No record: never deducted here, or deducted so long ago that Redis forgot it. SQL's ledger decides; the
    -- caller comes back with its lines (or none). Marked cancelled now, so no deduction lands meanwhile.
    if not st then
      redis.call('HSET', KEYS[4], 'st', 'cancelled', 'cres', '', 'q', '1')
      redis.call('EXPIRE', KEYS[4], ARGV[2])
    end
    return {'absent'}
  end
elseif st == 'deducted' and r[2] == ARGV[4] then
  deducted = r[3]
end

if not deducted then
  if cancel then
    redis.call('HSET', KEYS[4], 'st', 'cancelled', 'cres', '')
    redis.call('HDEL', KEYS[4], 'q')
  elseif st ~= 'deducted' and (not st or tonumber(r[2]) < tonumber(ARGV[4])) then
    redis.call('HSET', KEYS[4], 'st', 'fenced', 'e', ARGV[4])
  end
  redis.call('EXPIRE', KEYS[4], ARGV[2])
  return {'none'}
end

local returned = {}
if cancel then
  for entry in string.gmatch(r[5] or '', '[^,]+') do
    local sku, quantity = string.match(entry, '^(%S+) (%d+)')
    returned[sku] = tonumber(quantity)
  end
end

local taken
if customer ~= '' then
  taken = string.sub(KEYS[1], 1, -7) .. ':cu:' .. customer
end
local result = {}
local id
for entry in string.gmatch(deducted, '[^,]+') do
  local sku, quantity = string.match(entry, '^(%S+) (%d+)')
  quantity = tostring(tonumber(quantity) - (returned[sku] or 0))
  local left = redis.call('HINCRBY', KEYS[1], sku, quantity)
  if taken then
    redis.call('HINCRBY', taken, sku, 0 - tonumber(quantity))
  end
  local seq = redis.call('HINCRBY', KEYS[2], sku, 1)
  id = redis.call('XADD', KEYS[3], '*', 'k', ARGV[3], 'o', ARGV[1], 's', sku, 'd', quantity, 'q', seq, 'a', left, 't', now, 'c', customer)
  result[#result + 1] = sku .. ' ' .. quantity .. ' ' .. left
end
result = table.concat(result, ',')
if cancel then
  redis.call('HSET', KEYS[4], 'st', 'cancelled', 'cres', result, 'cu', customer)
  redis.call('HDEL', KEYS[4], 'q')
else
  redis.call('HSET', KEYS[4], 'st', 'fenced', 'e', ARGV[4], 'cres', result)
end
redis.call('EXPIRE', KEYS[4], ARGV[2])
return {ARGV[3], result, id}
