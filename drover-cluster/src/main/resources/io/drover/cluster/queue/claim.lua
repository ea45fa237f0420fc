-- Takes delivered stream entries for a worker, all at once. For each, the attempt it returns is the lease's
-- fencing token. KEYS[1] stream, KEYS[2] dead-letter zset, KEYS[3..n] task hashes, one per entry
-- ARGV[1] worker id, ARGV[2] now (microseconds), ARGV[3] max deliveries beyond max attempts, ARGV[4..] entry ids
-- Returns, per entry, two values: the token and {spec, failures, notify, followed}, or 0 and why it was not taken.
-- State events go to a task's event stream only when someone follows it (field 'followed', set by Client.follow)
-- or once it logs: the RUNNING event is written here for a followed task, else by the worker with the first log
-- line. A task that prints nothing and that nobody follows costs no events.
local out = {}
local acks = {} -- entries not taken, acknowledged in one XACK
for i = 3, #KEYS do
  local key, entry = KEYS[i], ARGV[i + 1]
  local f = redis.call('HMGET', key, 'state', 'failures', 'max_attempts', 'id', 'spec', 'notify', 'attempt', 'followed')
  local state = f[1]
  if state ~= 'PENDING' and state ~= 'RUNNING' then
    -- unknown, cancelled, finished, or waiting for a retry: this entry is stale (the stream is trimmed later)
    acks[#acks + 1] = entry
    out[#out + 1] = 0; out[#out + 1] = state or 'missing'
  else
    local attempt = tonumber(f[7] or '0') + 1
    local failures = tonumber(f[2] or '0')
    local max = tonumber(f[3] or '1')
    if attempt - failures > max + tonumber(ARGV[3]) then
      -- delivered again and again without an outcome: it crashes its workers
      redis.call('HSET', key, 'state', 'FAILED', 'dead', '1', 'finished_us', ARGV[2], 'attempt', attempt,
        'message', 'dead-lettered after ' .. attempt .. ' deliveries without an outcome (poison task?)')
      redis.call('ZADD', KEYS[2], math.floor(tonumber(ARGV[2]) / 1000), f[4])
      acks[#acks + 1] = entry
      if f[6] then redis.call('XADD', f[6], 'MAXLEN', '~', 100000, '*', 'type', 'end', 'id', f[4]) end
      out[#out + 1] = 0; out[#out + 1] = 'poison'
    else
      redis.call('HSET', key, 'state', 'RUNNING', 'attempt', attempt, 'worker', ARGV[1], 'entry', entry, 'started_us', ARGV[2])
      if f[8] == '1' then -- the task's event stream shares the queue's hash tag (same slot)
        redis.call('XADD', string.gsub(key, ':task:', ':events:', 1), 'MAXLEN', '~', 1000, '*',
          'type', 'state', 'state', 'RUNNING', 'attempt', attempt, 'worker', ARGV[1])
      end
      out[#out + 1] = attempt; out[#out + 1] = {f[5] or false, f[2] or false, f[6] or false, f[8] or false}
    end
  end
end
if #acks > 0 then redis.call('XACK', KEYS[1], 'workers', unpack(acks)) end
return out
