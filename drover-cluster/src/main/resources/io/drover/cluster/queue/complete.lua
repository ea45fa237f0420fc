-- Records attempts' outcomes, each only from the holder of the task's current lease (fencing token = attempt).
-- KEYS[1] the queue's plain stream (for records without their own 'stream'), KEYS[2] delayed zset,
-- KEYS[3] dead-letter zset, KEYS[4..] task hashes
-- ARGV[1] now (microseconds), ARGV[2] retention s, then per task 5 values:
--   token, entry id, status (SUCCEEDED|FAILED|CANCELLED|SKIPPED), message, outputs json, retry due ms  (6 values)
-- Returns per task 1 (recorded) or 0 (refused: someone else holds the task now).
local out = {}
local now, retention = ARGV[1], tonumber(ARGV[2])
for i = 4, #KEYS do
  local key = KEYS[i]
  local a = 3 + (i - 4) * 6
  local token, entry, status, message, outputs, due = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5]
  local f = redis.call('HMGET', key, 'attempt', 'state', 'id', 'max_attempts', 'cancel', 'stream')
  local attempt = f[1]
  if attempt ~= token or f[2] ~= 'RUNNING' then
    out[#out + 1] = 0
  else
    local stream = f[6] or KEYS[1]
    redis.call('XACK', stream, 'workers', entry); redis.call('XDEL', stream, entry)
    local id = f[3]
    local final = status
    local expire = true
    if status == 'FAILED' then
      local failures = redis.call('HINCRBY', key, 'failures', 1)
      local errors = cjson.decode(redis.call('HGET', key, 'errors') or '[]')
      errors[#errors + 1] = 'attempt ' .. attempt .. ': ' .. message
      redis.call('HSET', key, 'errors', cjson.encode(errors), 'message', message)
      if failures < tonumber(f[4] or '1') and f[5] ~= '1' then
        redis.call('HSET', key, 'state', 'RETRYING')
        redis.call('ZADD', KEYS[2], tonumber(due), id)
        final = 'RETRYING'
        expire = false
      else
        redis.call('HSET', key, 'state', 'FAILED', 'dead', '1', 'finished_us', now)
        redis.call('ZADD', KEYS[3], math.floor(tonumber(now) / 1000), id)
      end
    else
      redis.call('HSET', key, 'state', status, 'message', message, 'outputs', outputs, 'finished_us', now)
    end
    local ev = string.gsub(key, ':task:', ':events:', 1)
    redis.call('XADD', ev, 'MAXLEN', '~', 1000, '*', 'type', 'state', 'state', final, 'attempt', attempt, 'message', message)
    local notify = redis.call('HGET', key, 'notify')
    if notify and final ~= 'RETRYING' then
      -- the follower of the task (a run's dispatcher) hears of its end on one stream for all its tasks
      redis.call('XADD', notify, 'MAXLEN', '~', 100000, '*', 'type', 'end', 'id', id)
    end
    if expire then
      redis.call('EXPIRE', key, retention)
      redis.call('EXPIRE', ev, retention)
    end
    out[#out + 1] = 1
  end
end
return out
