-- Takes one delivered stream entry for a worker: the attempt number it returns is the lease's fencing token.
-- KEYS[1] task hash, KEYS[2] stream, KEYS[3] dead-letter zset
-- ARGV[1] entry id, ARGV[2] worker id, ARGV[3] now ms, ARGV[4] max deliveries beyond max attempts
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  redis.call('XACK', KEYS[2], 'workers', ARGV[1]); redis.call('XDEL', KEYS[2], ARGV[1])
  return {0, 'missing'}
end
if state ~= 'PENDING' and state ~= 'RUNNING' then
  -- cancelled, finished, or waiting for a retry: this entry is stale
  redis.call('XACK', KEYS[2], 'workers', ARGV[1]); redis.call('XDEL', KEYS[2], ARGV[1])
  return {0, state}
end
local attempt = redis.call('HINCRBY', KEYS[1], 'attempt', 1)
local failures = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')
local max = tonumber(redis.call('HGET', KEYS[1], 'max_attempts') or '1')
if attempt - failures > max + tonumber(ARGV[4]) then
  -- delivered again and again without an outcome: it crashes its workers
  redis.call('HSET', KEYS[1], 'state', 'FAILED', 'dead', '1', 'finished_at', ARGV[3],
    'message', 'dead-lettered after ' .. attempt .. ' deliveries without an outcome (poison task?)')
  redis.call('ZADD', KEYS[3], tonumber(ARGV[3]), redis.call('HGET', KEYS[1], 'id'))
  redis.call('XACK', KEYS[2], 'workers', ARGV[1]); redis.call('XDEL', KEYS[2], ARGV[1])
  return {0, 'poison'}
end
redis.call('HSET', KEYS[1], 'state', 'RUNNING', 'worker', ARGV[2], 'entry', ARGV[1], 'started_at', ARGV[3])
return {attempt, 'RUNNING', redis.call('HGETALL', KEYS[1])}
