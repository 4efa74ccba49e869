#!lua
-- Restocks one partition's part of a return, once per (order, return id), and never more than this partition
-- deducted minus what it already took back. Journaled as 'return' (o: the order id, r: the return id and reason).
-- A cancelled record refuses: the cancel already restocked everything not returned before it. The customer's
-- allowance comes back with the units (docs/redis-keys.md, rule 12).
-- KEYS: stock, seq, journal, record, partition marker
-- ARGV: orderId, returnId, ttlSeconds, reason, then sku, quantity pairs
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if redis.call('EXISTS', KEYS[5]) == 0 then
  return {'lost'}
end

local field = 'R:' .. ARGV[2]
local record = redis.call('HMGET', KEYS[4], 'st', 'res', 'ret', field, 'cu')
if record[4] then
  redis.call('EXPIRE', KEYS[4], ARGV[3])
  return {'returned', record[4], '1'}
end
if record[1] == 'cancelled' then
  return {'cancelled'}
elseif record[1] ~= 'deducted' then
  return {'none'}
end

local deducted = {}
for entry in string.gmatch(record[2] or '', '[^,]+') do
  local sku, quantity = string.match(entry, '^(%S+) (%d+)')
  deducted[sku] = tonumber(quantity)
end
local returned = {}
for entry in string.gmatch(record[3] or '', '[^,]+') do
  local sku, quantity = string.match(entry, '^(%S+) (%d+)')
  returned[sku] = tonumber(quantity)
end

local exceeds = {'exceeds'}
for i = 5, #ARGV, 2 do
  local sku = ARGV[i]
  local returnable = (deducted[sku] or 0) - (returned[sku] or 0)
  if tonumber(ARGV[i + 1]) > returnable then
    exceeds[#exceeds + 1] = sku
    exceeds[#exceeds + 1] = ARGV[i + 1]
    exceeds[#exceeds + 1] = tostring(returnable)
  end
end
if #exceeds > 1 then
  return exceeds
end

local reason = ARGV[2]
if ARGV[4] ~= '' then
  reason = reason .. ' ' .. ARGV[4]
end
local customer = record[5] or ''
local taken
if customer ~= '' then
  taken = string.sub(KEYS[1], 1, -7) .. ':cu:' .. customer
end
local result = {}
local id
for i = 5, #ARGV, 2 do
  local sku = ARGV[i]
  local quantity = ARGV[i + 1]
  local left = redis.call('HINCRBY', KEYS[1], sku, quantity)
  if taken then
    redis.call('HINCRBY', taken, sku, 0 - tonumber(quantity))
  end
  local seq = redis.call('HINCRBY', KEYS[2], sku, 1)
  id = redis.call('XADD', KEYS[3], '*', 'k', 'return', 'o', ARGV[1], 's', sku, 'd', quantity, 'q', seq, 'a', left, 't', now, 'r', reason, 'c', customer)
  returned[sku] = (returned[sku] or 0) + tonumber(quantity)
  result[#result + 1] = sku .. ' ' .. quantity .. ' ' .. left
end
local totals = {}
for sku, quantity in pairs(returned) do
  totals[#totals + 1] = sku .. ' ' .. quantity
end
table.sort(totals)
result = table.concat(result, ',')
redis.call('HSET', KEYS[4], 'ret', table.concat(totals, ','), field, result)
redis.call('EXPIRE', KEYS[4], ARGV[3])
return {'returned', result, '0', id}
