-- Claims stream entries for a worker, many per call. In mode 'read' it reads new entries itself, without blocking
-- (the worker blocks in XREADGROUP only after this found nothing), so one round trip reads and claims; in mode
-- 'given' it claims entries the worker was delivered otherwise (a blocking read, or XAUTOCLAIM after a lease
-- lapsed). For each task taken, the attempt it returns is the lease's fencing token.
-- KEYS[1] dead-letter zset, KEYS[2..] streams: for 'read' the streams to read in order (the worker's own first),
-- each asked for what the ones before left of the count; for 'given' the one stream the entries are on
-- ARGV[1] worker id, ARGV[2] now (microseconds), ARGV[3] max deliveries beyond max attempts, ARGV[4] key prefix of
-- task hashes, ARGV[5] 'read' or 'given', then for 'read' ARGV[6] how many at most, for 'given' ARGV[6..] entry ids
-- Returns a list of {1, stream (KEYS index - 1), entry, task id, token, spec, failures, notify, followed} for each
-- task taken and {2, stream, entry, reason} for each entry set aside (not a task: it is moved to the stream's
-- ':rejected' stream). Entries of tasks not waiting to run (cancelled, finished, waiting for a retry) and of poison
-- tasks (dead-lettered here) are acknowledged and not returned.
-- State events go to a task's event stream only when someone follows it ('followed', set by the follow script) or
-- once an attempt logs: the RUNNING event is written here for a followed task, else by the worker with the first
-- log line. A task that prints nothing and that nobody follows costs no events.
local me, now, extra, prefix = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local out = {}
local acks = {} -- stream -> entries acknowledged without running: one XACK per stream at the end

local function ack(stream, entry)
  if not acks[stream] then acks[stream] = {} end
  table.insert(acks[stream], entry)
end

-- why an entry cannot be a task, or nil
local function problem(f)
  local v = f['v']
  if not v then return 'no schema version (field v)' end
  if v ~= '1' then return 'schema version ' .. v .. ' is newer than this worker understands (1)' end
  local id = f['id']
  local queue = id and #id <= 160 and string.match(id, '^([%w_%.%-]+)%.[^%.]+$')
  if not queue or #queue > 64 then return 'missing or bad task id' end
  return nil
end

local function take(stream, index, entry, flat)
  local f = {}
  for i = 1, #flat, 2 do f[flat[i]] = flat[i + 1] end
  local why = problem(f)
  if why then
    local copy = {unpack(flat)}
    copy[#copy + 1] = '_reason'; copy[#copy + 1] = why
    copy[#copy + 1] = '_entry'; copy[#copy + 1] = entry
    redis.call('XADD', stream .. ':rejected', 'MAXLEN', '~', 10000, '*', unpack(copy))
    redis.call('XACK', stream, 'workers', entry); redis.call('XDEL', stream, entry)
    out[#out + 1] = {2, index, entry, why}
    return
  end
  local id = f['id']
  local key = prefix .. id
  local h = redis.call('HMGET', key, 'state', 'failures', 'max_attempts', 'spec', 'notify', 'attempt', 'followed')
  if h[1] ~= 'PENDING' and h[1] ~= 'RUNNING' then
    ack(stream, entry) -- unknown, cancelled, finished, or waiting for a retry: a stale entry (trimmed later)
    return
  end
  local attempt = tonumber(h[6] or '0') + 1
  if attempt - tonumber(h[2] or '0') > tonumber(h[3] or '1') + extra then
    -- delivered again and again without an outcome: it crashes its workers
    redis.call('HSET', key, 'state', 'FAILED', 'dead', '1', 'finished_us', now, 'attempt', attempt,
      'message', 'dead-lettered after ' .. attempt .. ' deliveries without an outcome (poison task?)')
    redis.call('ZADD', KEYS[1], math.floor(tonumber(now) / 1000), id)
    ack(stream, entry)
    if h[5] then redis.call('XADD', h[5], 'MAXLEN', '~', 100000, '*', 'type', 'end', 'id', id) end
    return
  end
  redis.call('HSET', key, 'state', 'RUNNING', 'attempt', attempt, 'worker', me, 'entry', entry, 'started_us', now)
  if h[7] == '1' then -- the task's event stream shares the queue's hash tag (same slot)
    redis.call('XADD', string.gsub(key, ':task:', ':events:', 1), 'MAXLEN', '~', 1000, '*',
      'type', 'state', 'state', 'RUNNING', 'attempt', attempt, 'worker', me)
  end
  out[#out + 1] = {1, index, entry, id, attempt, h[4] or false, h[2] or false, h[5] or false, h[7] or false}
end

if ARGV[5] == 'read' then
  local left = tonumber(ARGV[6])
  for k = 2, #KEYS do
    if left <= 0 then break end
    -- pcall: a stream whose group is gone (a worker stream removed meanwhile) must not fail the others
    local r = redis.pcall('XREADGROUP', 'GROUP', 'workers', me, 'COUNT', left, 'STREAMS', KEYS[k], '>')
    if type(r) == 'table' and not r.err then
      for _, s in ipairs(r) do
        for _, e in ipairs(s[2]) do take(KEYS[k], k - 1, e[1], e[2]) end
        left = left - #s[2]
      end
    end
  end
else
  for i = 6, #ARGV do
    local e = redis.call('XRANGE', KEYS[2], ARGV[i], ARGV[i])
    if #e > 0 then take(KEYS[2], 1, e[1][1], e[1][2]) else ack(KEYS[2], ARGV[i]) end -- deleted meanwhile
  end
end
for stream, entries in pairs(acks) do redis.call('XACK', stream, 'workers', unpack(entries)) end
return out
