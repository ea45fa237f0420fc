-- Puts tasks on their queue, many per call (all keys of one queue share its hash tag).
-- KEYS[1] task index (zset of minutes; the ids of a minute are the list KEYS[1]:MINUTE), KEYS[2] the queue's set of tagged streams, KEYS[3] the queue's counters hash, then three keys per task: its hash, the
-- stream it goes on, its idempotency key (any key of the queue when it has none)
-- ARGV[1] now (microseconds), ARGV[2] retention s (of idempotency keys and index minutes), then per task: id, '1' with an idempotency key else '0',
-- '1' when its stream is not the queue's plain one else '0', the number n of field/value strings, then those n
-- (id, spec, and max_attempts, notify, home when they apply): they go into both the stream entry (what a worker
-- needs to run it, so that starting it reads no record) and the task's record, which also names its entry.
-- Returns per task two values: 1 and its id (created), or 0 and the id of the task its key named already.
local out = {}
local now, ttl = ARGV[1], tonumber(ARGV[2])
local minute = string.format('%d', math.floor(tonumber(now) / 60000000))
local a = 3
local index = {} -- one RPUSH for all of them
for k = 4, #KEYS, 3 do
  local key, stream, idem = KEYS[k], KEYS[k + 1], KEYS[k + 2]
  local id, keyed, tagged, n = ARGV[a], ARGV[a + 1], ARGV[a + 2], tonumber(ARGV[a + 3])
  -- the key is taken by this task unless it names one already (one call for a new key, the common case)
  local existing = keyed == '1' and not redis.call('SET', idem, id, 'NX', 'EX', ttl) and redis.call('GET', idem)
  if existing then
    out[#out + 1] = 0; out[#out + 1] = existing
  else
    local entry = redis.call('XADD', stream, '*', 'v', '{{ENTRY_VERSION}}', unpack(ARGV, a + 4, a + 3 + n))
    redis.call('HSET', key, 'state', 'PENDING', 'submitted_us', now, 'stream', stream, 'entry', entry,
      unpack(ARGV, a + 4, a + 3 + n))
    index[#index + 1] = id
    if tagged == '1' then redis.call('SADD', KEYS[2], stream) end
    out[#out + 1] = 1; out[#out + 1] = id
  end
  a = a + 4 + n
end
if #index > 0 then
  redis.call('HINCRBY', KEYS[3], 'submitted', #index) -- the fleet's counters: every submitted task counts
  local list = KEYS[1] .. ':' .. minute
  redis.call('RPUSH', list, unpack(index))
  redis.call('EXPIRE', list, ttl + 120)
  redis.call('ZADD', KEYS[1], minute, minute)
end
return out
