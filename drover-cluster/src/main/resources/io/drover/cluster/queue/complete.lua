-- Records attempts' outcomes, each only from the holder of the task's current lease (fencing token = attempt).
-- KEYS[1] the queue's plain stream (for records without their own 'stream'), KEYS[2] delayed zset,
-- KEYS[3] dead-letter zset, KEYS[4..] task hashes
-- ARGV[1] now (microseconds), ARGV[2] retention s, then per task 7 values:
--   token, entry id, status (SUCCEEDED|FAILED|CANCELLED|SKIPPED), message, outputs json, retry due ms,
--   '1' when the attempt wrote to the task's event stream (it logged) else '0'
-- Returns per task 1 (recorded) or 0 (refused: someone else holds the task now).
-- Entries are acknowledged in one XACK per stream at the end. An acknowledged entry stays in its stream until the
-- workers' heartbeat trims the stream (trim.lua): one XTRIM of whole nodes costs less than an XDEL per task.
local out = {}
local acks = {} -- stream -> entries
local now, retention = ARGV[1], tonumber(ARGV[2])
for i = 4, #KEYS do
  local key = KEYS[i]
  local a = 3 + (i - 4) * 7
  local token, entry, status, message, outputs, due = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5]
  local f = redis.call('HMGET', key, 'attempt', 'state', 'id', 'max_attempts', 'cancel', 'stream', 'notify', 'followed')
  local attempt = f[1]
  if attempt ~= token or f[2] ~= 'RUNNING' then
    out[#out + 1] = 0
  else
    local stream = f[6] or KEYS[1]
    if not acks[stream] then acks[stream] = {} end
    table.insert(acks[stream], entry)
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
    -- state events only for a task someone follows or that has logged (its event stream exists then)
    local followed = f[8] == '1' or ARGV[a + 6] == '1'
    local ev = followed and string.gsub(key, ':task:', ':events:', 1)
    if followed then
      redis.call('XADD', ev, 'MAXLEN', '~', 1000, '*', 'type', 'state', 'state', final, 'attempt', attempt, 'message', message)
    end
    if f[7] and final ~= 'RETRYING' then
      -- the follower of the task (a run's dispatcher) hears of its end on one stream for all its tasks
      redis.call('XADD', f[7], 'MAXLEN', '~', 100000, '*', 'type', 'end', 'id', id)
    end
    if expire then
      redis.call('EXPIRE', key, retention)
      if followed then redis.call('EXPIRE', ev, retention) end
    end
    out[#out + 1] = 1
  end
end
for stream, entries in pairs(acks) do redis.call('XACK', stream, 'workers', unpack(entries)) end
return out
