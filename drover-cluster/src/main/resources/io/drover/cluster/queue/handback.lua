-- A worker that stops gives a task back at once instead of leaving it to lease expiry. Fenced like complete.
-- KEYS[1] task hash, KEYS[2] the queue's plain stream (for records without their own 'stream');
-- ARGV[1] token, ARGV[2] entry id
if redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'state') ~= 'RUNNING' then
  return 0
end
local stream = redis.call('HGET', KEYS[1], 'stream') or KEYS[2]
redis.call('XACK', stream, 'workers', ARGV[2]); redis.call('XDEL', stream, ARGV[2])
redis.call('HSET', KEYS[1], 'state', 'PENDING', 'worker', '')
redis.call('XADD', stream, '*', 'v', '1', 'id', redis.call('HGET', KEYS[1], 'id'))
return 1
