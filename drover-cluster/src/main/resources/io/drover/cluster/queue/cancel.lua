-- KEYS[1] task hash, KEYS[2] delayed zset, KEYS[3] the queue's set of tasks followed before they started, KEYS[4] the
-- queue's counters hash, KEYS[5] the task's event stream;
-- ARGV[1] now us, ARGV[2] retention s
-- A queued task's entry is deleted, so no worker ever gets it; one a worker holds already (its entry is pending in
-- the group) is asked to stop: its worker kills it at its next heartbeat.
local h = redis.call('HMGET', KEYS[1], 'state', 'stream', 'entry', 'id', 'followed', 'notify')
local state = h[1]
if not state then return 'missing' end
if state == 'PENDING' and h[3] and #redis.call('XPENDING', h[2], '{{GROUP}}', h[3], h[3], 1) > 0 then
  state = 'RUNNING'
end
if state == 'PENDING' or state == 'RETRYING' then
  if state == 'PENDING' and h[3] then redis.call('XDEL', h[2], h[3]) end
  -- a retrying task has run: its message must not say it never did
  local why = state == 'RETRYING' and 'cancelled while waiting to retry' or 'cancelled before it ran'
  redis.call('HSET', KEYS[1], 'state', 'CANCELLED', 'cancel', '1', 'message', why, 'finished_us', ARGV[1])
  redis.call('ZREM', KEYS[2], h[4])
  redis.call('HINCRBY', KEYS[4], 'cancelled', 1)
  redis.call('SREM', KEYS[3], h[4])
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
  local ev = KEYS[5]
  if h[5] == '1' then
    redis.call('XADD', ev, 'MAXLEN', '~', 1000, '*', 'type', 'state', 'state', 'CANCELLED', 'message', why)
    redis.call('EXPIRE', ev, tonumber(ARGV[2]))
  end
  if h[6] then redis.call('XADD', h[6], 'MAXLEN', '~', 100000, '*', 'type', 'end', 'id', h[4]) end
  return 'CANCELLED'
end
if state == 'RUNNING' then
  redis.call('HSET', KEYS[1], 'cancel', '1')
  return 'CANCELLING'
end
return state
