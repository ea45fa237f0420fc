-- Claims stream entries a worker was delivered but could not start by itself: entries taken over after a lease
-- lapsed (XAUTOCLAIM), entries that do not look like tasks, and new entries while someone follows a queued task of
-- the queue. (A well-formed new entry starts without it: the entry carries what the attempt needs, and the consumer
-- group's pending-entries list says that it runs, on which worker, and how often the entry was delivered.)
-- The delivery count is the attempt's fencing token: a reclaim raises it, so an outcome or a lease renewal from the
-- worker that held the entry before is refused. Each entry is checked against the task's record here.
-- KEYS[1] dead-letter zset, KEYS[2] the queue's set of tasks followed while queued, KEYS[3] the stream, KEYS[4] the
-- queue's counters hash
-- ARGV[1] worker id, ARGV[2] now (microseconds), ARGV[3] max deliveries beyond max attempts, ARGV[4] key prefix of
-- task hashes, ARGV[5] the queue, ARGV[6] key prefix of task event streams, ARGV[7..] entry ids
-- Returns a list of {1, entry, task id, token, spec, failures, notify, followed, attempt} for each task taken and
-- {2, entry, reason} for each entry set aside (not a task: it is moved to the stream's ':rejected' stream), and
-- {3, entry, task id, deliveries} for each poison task dead-lettered here (so the worker can say so). Entries
-- of tasks not waiting to run (cancelled, finished, queued again as another entry) are acknowledged and not
-- returned; those of poison tasks are acknowledged and returned as code 3.
-- State events go to a task's event stream only when someone follows it or once an attempt logs: the RUNNING event
-- is written here for a followed task, else by the worker (for a retry of a followed task, or before the first line).
local me, now, extra, prefix = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local out = {}
local stream = KEYS[3]
local acks = {} -- entries acknowledged without running: one XACK at the end
local following = redis.call('SCARD', KEYS[2]) > 0 -- nobody follows a queued task: no look-up per task

local function ack(entry)
  acks[#acks + 1] = entry
end

-- why an entry cannot be a task, or nil
local function problem(f)
  local v = f['v']
  if not v then return 'no schema version (field v)' end
  if v ~= '{{ENTRY_VERSION}}' then return 'schema version ' .. v .. ' is not the one this worker understands ({{ENTRY_VERSION}})' end
  local id = f['id']
  -- the same rule as Keys.isTaskIdOf: <queue>.<letters, digits, _ and ->, and the queue is this stream's
  local queue = id and #id <= 160 and string.match(id, '^(.+)%.[%w_%-]+$')
  if queue ~= ARGV[5] then return 'missing or bad task id (not a task id of queue ' .. ARGV[5] .. ')' end
  local spec = f['spec']
  if not spec then return 'no spec' end
  if not string.match(spec, '^%s*{') then return 'the spec is not a JSON object' end
  local ok = pcall(cjson.decode, spec)
  if not ok then return 'the spec is not readable JSON' end
  return nil
end

local function setAside(entry, flat, why)
  local copy = {unpack(flat)}
  copy[#copy + 1] = '_reason'; copy[#copy + 1] = why
  copy[#copy + 1] = '_entry'; copy[#copy + 1] = entry
  redis.call('XADD', stream .. ':rejected', 'MAXLEN', '~', 10000, '*', unpack(copy))
  redis.call('XACK', stream, '{{GROUP}}', entry); redis.call('XDEL', stream, entry)
  out[#out + 1] = {2, entry, why}
end

local function fields(flat)
  local f = {}
  for i = 1, #flat, 2 do f[flat[i]] = flat[i + 1] end
  return f
end

local function start(entry, f, token, followed)
  local id = f['id']
  if not followed and following and redis.call('SREM', KEYS[2], id) == 1 then followed = true end
  local attempt = tonumber(f['attempts'] or '0') + token
  if followed then -- the task's event stream shares the queue's hash tag (same slot)
    redis.call('XADD', ARGV[6] .. id, 'MAXLEN', '~', 1000, '*',
      'type', 'state', 'state', 'RUNNING', 'attempt', attempt, 'worker', me)
  end
  out[#out + 1] = {1, entry, id, token, f['spec'], f['failures'] or false, f['notify'] or false,
    followed and '1' or false, attempt}
end

for i = 7, #ARGV do
  local entry = ARGV[i]
  local e = redis.call('XRANGE', stream, entry, entry)
  local p = redis.call('XPENDING', stream, '{{GROUP}}', entry, entry, 1)
  if #p == 0 or p[1][2] ~= me then
    -- not (any more) this worker's: another worker took it meanwhile, or it was acknowledged
  elseif #e == 0 then
    ack(entry) -- deleted meanwhile
  else
    local f = fields(e[1][2])
    local why = problem(f)
    if why then
      setAside(entry, e[1][2], why)
    else
      local id = f['id']
      local key = prefix .. id
      local h = redis.call('HMGET', key, 'state', 'entry', 'failures', 'max_attempts', 'followed', 'notify')
      local token = p[1][4]
      local attempt = tonumber(f['attempts'] or '0') + token
      if (h[1] ~= 'PENDING' and h[1] ~= 'RUNNING') or (h[2] and h[2] ~= entry) then
        ack(entry) -- unknown, cancelled, finished, waiting for a retry, or queued again as another entry
      elseif attempt - tonumber(h[3] or '0') > tonumber(h[4] or '1') + extra then
        -- delivered again and again without an outcome: it crashes its workers
        redis.call('HSET', key, 'state', 'FAILED', 'dead', '1', 'finished_us', now, 'attempt', attempt,
          'message', 'dead-lettered after ' .. attempt .. ' deliveries without an outcome (' .. (h[4] or '1')
            .. ' allowed for its attempts, ' .. extra .. ' extra for crashed workers): a poison task?')
        redis.call('ZADD', KEYS[1], math.floor(tonumber(now) / 1000), id)
        redis.call('HINCRBY', KEYS[4], 'dead_lettered', 1)
        ack(entry)
        out[#out + 1] = {3, entry, id, attempt}
        if h[6] then redis.call('XADD', h[6], 'MAXLEN', '~', 100000, '*', 'type', 'end', 'id', id) end
      else
        start(entry, f, token, h[5] == '1')
      end
    end
  end
end
if #acks > 0 then redis.call('XACK', stream, '{{GROUP}}', unpack(acks)) end
return out
