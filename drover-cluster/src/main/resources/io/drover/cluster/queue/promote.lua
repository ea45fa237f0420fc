-- Moves retries whose time has come back to the stream, atomically.
-- KEYS[1] delayed zset, KEYS[2] the queue's plain stream (for records without their own 'stream');
-- ARGV[1] now ms, ARGV[2] at most, ARGV[3] key prefix of task hashes
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local key = ARGV[3] .. id
  if redis.call('HGET', key, 'state') == 'RETRYING' then
    redis.call('HSET', key, 'state', 'PENDING')
    -- back on its home stream (a task sent to one worker for affinity goes back to all of them)
    local home = redis.call('HGET', key, 'home') or redis.call('HGET', key, 'stream') or KEYS[2]
    redis.call('HSET', key, 'stream', home)
    redis.call('XADD', home, '*', 'v', '1', 'id', id)
  end
end
return #ids
