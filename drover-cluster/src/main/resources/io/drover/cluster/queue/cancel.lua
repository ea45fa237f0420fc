-- KEYS[1] task hash, KEYS[2] delayed zset; ARGV[1] now ms, ARGV[2] retention s
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 'missing' end
if state == 'PENDING' or state == 'RETRYING' then
  redis.call('HSET', KEYS[1], 'state', 'CANCELLED', 'cancel', '1', 'message', 'cancelled before it ran', 'finished_us', ARGV[1])
  redis.call('ZREM', KEYS[2], redis.call('HGET', KEYS[1], 'id'))
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
  local ev = string.gsub(KEYS[1], ':task:', ':events:', 1)
  if redis.call('HGET', KEYS[1], 'followed') == '1' then
    redis.call('XADD', ev, 'MAXLEN', '~', 1000, '*', 'type', 'state', 'state', 'CANCELLED', 'message', 'cancelled before it ran')
    redis.call('EXPIRE', ev, tonumber(ARGV[2]))
  end
  local notify = redis.call('HGET', KEYS[1], 'notify')
  if notify then redis.call('XADD', notify, 'MAXLEN', '~', 100000, '*', 'type', 'end', 'id', redis.call('HGET', KEYS[1], 'id')) end
  return 'CANCELLED'
end
if state == 'RUNNING' then
  redis.call('HSET', KEYS[1], 'cancel', '1')
  return 'CANCELLING'
end
return state
