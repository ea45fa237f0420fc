-- Moves retries whose time has come back to the stream, atomically.
-- KEYS[1] delayed zset, KEYS[2] the queue's plain stream (for records without their own 'stream');
-- ARGV[1] now ms, ARGV[2] at most, ARGV[3] key prefix of task hashes
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local key = ARGV[3] .. id
  local h = redis.call('HMGET', key, 'state', 'home', 'stream', 'attempt')
  if h[1] == 'RETRYING' then
    -- back on its home stream (a task sent to one worker for affinity goes back to all of them)
    requeue(key, h[2] or h[3] or KEYS[2], h[4] or '0')
  end
end
return #ids
