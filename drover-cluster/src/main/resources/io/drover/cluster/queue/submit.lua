-- KEYS[1] task hash, KEYS[2] the stream it goes on (the queue's plain stream, or the one of its tags),
-- KEYS[3] idempotency key (any key of the queue when ARGV[4] is '0'), KEYS[4] task index (zset),
-- KEYS[5] (tagged tasks only) the set of the queue's tagged streams
-- ARGV[1] task id, ARGV[2] now (microseconds), ARGV[3] idempotency ttl s, ARGV[4] '1' with an idempotency key,
-- then field/value pairs of the task
if ARGV[4] == '1' then
  local existing = redis.call('GET', KEYS[3])
  if existing then return {0, existing} end
  redis.call('SET', KEYS[3], ARGV[1], 'EX', tonumber(ARGV[3]))
end
local fields = {'state', 'PENDING', 'attempt', 0, 'failures', 0, 'submitted_us', ARGV[2], 'stream', KEYS[2]}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('ZADD', KEYS[4], math.floor(tonumber(ARGV[2]) / 1000), ARGV[1])
if KEYS[5] then redis.call('SADD', KEYS[5], KEYS[2]) end
redis.call('XADD', KEYS[2], '*', 'v', '1', 'id', ARGV[1])
return {1, ARGV[1]}
