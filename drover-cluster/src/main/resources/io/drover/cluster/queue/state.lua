-- The state store of tasks (RedisStateStore): one call on one key of a namespace, all its keys in one slot.
-- KEYS[1] the item (a value hash {v, ver} or a list) or a lock, KEYS[2] the namespace's index, KEYS[3] its sequence.
-- ARGV[1] the call, ARGV[2] the key's name (for the index), then the call's own arguments.
-- Errors: "DROVER_KIND value|list" (the key holds the other kind), "DROVER_NOT_INTEGER" (incr on a non-integer).
local item, index, seq = KEYS[1], KEYS[2], KEYS[3]
local op, name = ARGV[1], ARGV[2]

local function kind(expected)
  local t = redis.call('TYPE', item)['ok']
  if t == 'none' then return false end
  if t == 'hash' and expected ~= 'value' then return redis.error_reply('DROVER_KIND value') end
  if t == 'list' and expected ~= 'list' then return redis.error_reply('DROVER_KIND list') end
  if t ~= 'hash' and t ~= 'list' then return redis.error_reply('DROVER_KIND ' .. t) end
  return true
end

local function put(value, ttl)
  local ver = redis.call('INCR', seq)
  redis.call('HSET', item, 'v', value, 'ver', ver)
  if ttl ~= '' then redis.call('PEXPIRE', item, ttl) else redis.call('PERSIST', item) end
  redis.call('ZADD', index, 0, name)
  return ver
end

if op == 'set' then -- value, ttl ms or ''
  local k = kind('value'); if type(k) == 'table' then return k end
  return put(ARGV[3], ARGV[4])
elseif op == 'cas' then -- expected version, value, ttl
  local k = kind('value'); if type(k) == 'table' then return k end
  local current = tonumber(redis.call('HGET', item, 'ver') or '0')
  if current ~= tonumber(ARGV[3]) then return 0 end
  return put(ARGV[4], ARGV[5])
elseif op == 'incr' then -- by
  local k = kind('value'); if type(k) == 'table' then return k end
  local current = redis.call('HGET', item, 'v') or '0'
  if not string.match(current, '^%s*-?%d+%s*$') then return redis.error_reply('DROVER_NOT_INTEGER') end
  local n = tonumber(current) + tonumber(ARGV[3])
  local text = string.format('%d', n)
  redis.call('HSET', item, 'v', text, 'ver', redis.call('INCR', seq)) -- HSET keeps the key's TTL
  redis.call('ZADD', index, 0, name)
  return text
elseif op == 'get' then
  local k = kind('value'); if type(k) == 'table' then return k end
  return redis.call('HMGET', item, 'v', 'ver')
elseif op == 'append' then -- value, max, ttl ms or ''
  local k = kind('list'); if type(k) == 'table' then return k end
  redis.call('RPUSH', item, ARGV[3])
  redis.call('LTRIM', item, -tonumber(ARGV[4]), -1)
  if ARGV[5] ~= '' then redis.call('PEXPIRE', item, ARGV[5]) end
  redis.call('ZADD', index, 0, name)
  return redis.call('LLEN', item)
elseif op == 'range' then -- from, to
  local k = kind('list'); if type(k) == 'table' then return k end
  return redis.call('LRANGE', item, ARGV[3], ARGV[4])
elseif op == 'delete' then
  redis.call('ZREM', index, name)
  return redis.call('DEL', item)
elseif op == 'lock' then -- ttl ms
  if redis.call('EXISTS', item) == 1 then return 0 end
  local token = redis.call('INCR', seq)
  redis.call('SET', item, token, 'PX', ARGV[3])
  return token
elseif op == 'renew' then -- token, ttl ms
  if redis.call('GET', item) ~= ARGV[3] then return 0 end
  redis.call('PEXPIRE', item, ARGV[4])
  return 1
elseif op == 'unlock' then -- token
  if redis.call('GET', item) ~= ARGV[3] then return 0 end
  return redis.call('DEL', item)
end
return redis.error_reply('DROVER_UNKNOWN_CALL ' .. tostring(op))
