#!lua
-- Binds an order id to its lines in the id's home partition before anything is deducted (docs/redis-keys.md).
-- Replies: {'go', epoch} deduct at this epoch; {'deducted', epoch, restored} a committed (or restored) order;
-- {'rebind', epoch, fingerprint, partitions} the id is open with other lines: fence them, then rebind.lua;
-- {'conflict'}; {'cancelled'}; {'busy'} an abort is rolling this order back; {'seen'} absent, but the seen filter
-- may know the id: ask SQL; {'lost'} the home partition lost its data.
-- KEYS: claim, pending, seen filter, home marker
-- ARGV: orderId, fingerprint, lines, partitions, multi ('1'|'0'), ttlSeconds, mode ('new'|'force'), bit offsets...
if redis.call('EXISTS', KEYS[4]) == 0 then
  return {'lost'}
end

local multi = ARGV[5] == '1'
local now = 0
if multi then
  -- only multi-partition claims carry a start time: the recovery sweep's clock
  now = redis.call('TIME')
  now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
end
local function open(epoch, fresh)
  redis.call('HSET', KEYS[1], 'st', 'open', 'e', epoch, 'fp', ARGV[2], 'ln', ARGV[3], 'pt', ARGV[4], 't', now, 'r', '')
  redis.call('EXPIRE', KEYS[1], ARGV[6])
  if multi then
    redis.call('ZADD', KEYS[2], now, ARGV[1])
  elseif not fresh then
    redis.call('ZREM', KEYS[2], ARGV[1])
  end
  return {'go', tostring(epoch)}
end

local c = redis.call('HMGET', KEYS[1], 'st', 'e', 'fp', 'pt', 'r')
local st = c[1]
if not st then
  -- the seen filter's bits in one BITFIELD each way, not one call per bit: this is the hot path of every new order
  local get, set = {}, {}
  for i = 8, #ARGV do
    get[#get + 1] = 'GET'
    get[#get + 1] = 'u1'
    get[#get + 1] = ARGV[i]
    set[#set + 1] = 'SET'
    set[#set + 1] = 'u1'
    set[#set + 1] = ARGV[i]
    set[#set + 1] = 1
  end
  if ARGV[7] == 'new' then
    local known = true
    for _, bit in ipairs(redis.call('BITFIELD', KEYS[3], unpack(get))) do
      if bit == 0 then
        known = false
        break
      end
    end
    if known then
      return {'seen'}
    end
  end
  redis.call('BITFIELD', KEYS[3], unpack(set))
  return open(1, true)
end

local epoch = tonumber(c[2])
if st == 'tomb' or st == 'cancelled' then
  return {'cancelled'}
end
if c[3] == ARGV[2] then
  if st == 'open' then
    if multi then
      -- a live attempt holds off the recovery sweep
      redis.call('HSET', KEYS[1], 't', now)
      redis.call('ZADD', KEYS[2], now, ARGV[1])
    end
    return {'go', tostring(epoch)}
  elseif st == 'deducted' then
    -- A write (nothing changes) so that a durable acknowledgement's WAIT on this connection covers the commit,
    -- which another connection may have written moments ago.
    redis.call('HSET', KEYS[1], 'st', 'deducted')
    return {'deducted', tostring(epoch), c[5] or ''}
  elseif st == 'aborting' then
    return {'busy'}
  end
  return open(epoch + 1, false)
end
if st == 'aborted' then
  return open(epoch + 1, false)
elseif st == 'open' then
  return {'rebind', tostring(epoch), c[3], c[4]}
end
return {'conflict'}
