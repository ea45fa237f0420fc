-- Records an attempt's outcome, only from the holder of the current lease (fencing token = attempt).
-- KEYS[1] task hash, KEYS[2] stream, KEYS[3] delayed zset, KEYS[4] dead-letter zset
-- ARGV[1] token, ARGV[2] entry id, ARGV[3] status, ARGV[4] message, ARGV[5] outputs json,
-- ARGV[6] now (microseconds), ARGV[7] retry due ms, ARGV[8] retention s
local attempt = redis.call('HGET', KEYS[1], 'attempt')
if attempt ~= ARGV[1] or redis.call('HGET', KEYS[1], 'state') ~= 'RUNNING' then
  return 0
end
redis.call('XACK', KEYS[2], 'workers', ARGV[2]); redis.call('XDEL', KEYS[2], ARGV[2])
local id = redis.call('HGET', KEYS[1], 'id')
local status = ARGV[3]
if status == 'FAILED' then
  local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
  local errors = cjson.decode(redis.call('HGET', KEYS[1], 'errors') or '[]')
  errors[#errors + 1] = 'attempt ' .. attempt .. ': ' .. ARGV[4]
  redis.call('HSET', KEYS[1], 'errors', cjson.encode(errors), 'message', ARGV[4])
  if failures < tonumber(redis.call('HGET', KEYS[1], 'max_attempts') or '1')
     and redis.call('HGET', KEYS[1], 'cancel') ~= '1' then
    redis.call('HSET', KEYS[1], 'state', 'RETRYING')
    redis.call('ZADD', KEYS[3], tonumber(ARGV[7]), id)
    return 1
  end
  redis.call('HSET', KEYS[1], 'state', 'FAILED', 'dead', '1', 'finished_us', ARGV[6])
  redis.call('ZADD', KEYS[4], math.floor(tonumber(ARGV[6]) / 1000), id)
else
  redis.call('HSET', KEYS[1], 'state', status, 'message', ARGV[4], 'outputs', ARGV[5], 'finished_us', ARGV[6])
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[8]))
return 1
