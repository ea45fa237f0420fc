-- Records attempts' outcomes, each only from the holder of the task's current lease: the entry must still be
-- pending for this worker with the delivery count the attempt started with (its fencing token).
-- KEYS[1] delayed zset, KEYS[2] dead-letter zset, KEYS[3] the queue's set of tasks followed while queued,
-- KEYS[4] the queue's counters hash, KEYS[5..] task hashes
-- ARGV[1] now (microseconds), ARGV[2] retention s, ARGV[3] worker id, ARGV[4] key prefix of task hashes, ARGV[5] key
-- prefix of task event streams, ARGV[6] the number k of streams the entries are on, then per stream 4 values: stream, its first and last entry of this call,
-- at most how many of this worker's pending entries lie between them; then per task 12 values: stream, entry id,
-- token, attempt, started (microseconds), status
-- (SUCCEEDED|FAILED|CANCELLED|SKIPPED), message, outputs json, retry due ms (negative: no retry, its executor made them), '1' when the task's state events are
-- written (someone follows it, or the attempt logged) else '0', its follower's stream or '', the reference of the
-- changes the attempt made to its run's files or ''
-- Returns per task 1 (recorded) or 0 (refused: someone else holds the task now).
-- Entries are acknowledged in one XACK per stream at the end. An acknowledged entry stays in its stream until the
-- workers' heartbeat trims the stream (trim.lua): one XTRIM of whole nodes costs less than an XDEL per task.
local out = {}
local acks = {} -- stream -> entries
local counted = {} -- the fleet's counters: field -> how many of this call's outcomes
local COUNTER = {SUCCEEDED = 'succeeded', FAILED = 'failed', RETRYING = 'retried', CANCELLED = 'cancelled',
  SKIPPED = 'skipped'}
local now, retention, me, prefix = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
-- a task followed while queued whose worker started it before seeing that: its end event is written all the same
local following = redis.call('SCARD', KEYS[3]) > 0
-- The fencing check reads this worker's pending entries of each stream in one XPENDING (entry -> delivery count);
-- should there be more of them than asked for, an entry not among them is looked up alone.
local mine, full = {}, {}
local streams = tonumber(ARGV[6])
for j = 0, streams - 1 do
  local b = 7 + j * 4
  local stream, limit = ARGV[b], tonumber(ARGV[b + 3])
  local held = {}
  local p = redis.call('XPENDING', stream, '{{GROUP}}', ARGV[b + 1], ARGV[b + 2], limit, me)
  for _, e in ipairs(p) do held[e[1]] = e[4] end
  mine[stream] = held
  full[stream] = #p >= limit
end
local base = 7 + streams * 4
for i = 5, #KEYS do
  local key = KEYS[i]
  local a = base + (i - 5) * 12
  local stream, entry, token, attempt, started = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2]), ARGV[a + 3], ARGV[a + 4]
  local status, message, outputs, due = ARGV[a + 5], ARGV[a + 6], ARGV[a + 7], ARGV[a + 8]
  local evented, notify, files = ARGV[a + 9] == '1', ARGV[a + 10], ARGV[a + 11]
  local count = mine[stream] and mine[stream][entry]
  if count == nil and (mine[stream] == nil or full[stream]) then
    local p = redis.call('XPENDING', stream, '{{GROUP}}', entry, entry, 1, me)
    count = p[1] and p[1][4]
  end
  if count ~= token then
    out[#out + 1] = 0
  else
    if not acks[stream] then acks[stream] = {} end
    -- what the attempt changed in its run's files, failed or not (a local run keeps a failed task's changes too)
    if files ~= '' then redis.call('HSET', key, 'files', files) end
    table.insert(acks[stream], entry)
    local id = string.sub(key, #prefix + 1)
    if following and redis.call('SREM', KEYS[3], id) == 1 then evented = true end
    local final = status
    local expire = true
    if status == 'FAILED' then
      local failures = redis.call('HINCRBY', key, 'failures', 1)
      local f = redis.call('HMGET', key, 'errors', 'max_attempts', 'cancel')
      local errors = cjson.decode(f[1] or '[]')
      errors[#errors + 1] = 'attempt ' .. attempt .. ': ' .. message
      redis.call('HSET', key, 'errors', cjson.encode(errors), 'message', message, 'attempt', attempt, 'worker', me,
        'started_us', started)
      if failures < tonumber(f[2] or '1') and f[3] ~= '1' and tonumber(due) >= 0 then
        redis.call('HSET', key, 'state', 'RETRYING')
        redis.call('ZADD', KEYS[1], tonumber(due), id)
        final = 'RETRYING'
        expire = false
      else
        redis.call('HSET', key, 'state', 'FAILED', 'dead', '1', 'finished_us', now)
        redis.call('ZADD', KEYS[2], math.floor(tonumber(now) / 1000), id)
      end
    else
      redis.call('HSET', key, 'state', status, 'message', message, 'outputs', outputs, 'attempt', attempt,
        'worker', me, 'started_us', started, 'finished_us', now)
    end
    local field = COUNTER[final]
    if field then counted[field] = (counted[field] or 0) + 1 end
    local ev = evented and ARGV[5] .. id
    if evented then
      redis.call('XADD', ev, 'MAXLEN', '~', 1000, '*', 'type', 'state', 'state', final, 'attempt', attempt, 'message', message)
    end
    if notify ~= '' and final ~= 'RETRYING' then
      -- the follower of the task (a run's dispatcher) hears of its end on one stream for all its tasks, with the
      -- outcome, so it need not read the task's record
      redis.call('XADD', notify, 'MAXLEN', '~', 100000, '*', 'type', 'end', 'id', id, 'state', final,
        'message', message, 'outputs', final == 'SUCCEEDED' and outputs or '{}', 'worker', me, 'started_us', started,
        'finished_us', now, 'files', files)
    end
    if expire then
      redis.call('EXPIRE', key, retention)
      if evented then redis.call('EXPIRE', ev, retention) end
    end
    out[#out + 1] = 1
  end
end
for stream, entries in pairs(acks) do redis.call('XACK', stream, '{{GROUP}}', unpack(entries)) end
for field, n in pairs(counted) do redis.call('HINCRBY', KEYS[4], field, n) end
return out
