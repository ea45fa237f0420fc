-- A worker that stops gives a task back at once instead of leaving it to lease expiry. Fenced like complete.
-- KEYS[1] task hash, KEYS[2] the queue's plain stream (for records without their own 'stream');
-- ARGV[1] token, ARGV[2] entry id
if redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'state') ~= 'RUNNING' then
  return 0
end
local stream = redis.call('HGET', KEYS[1], 'stream') or KEYS[2]
redis.call('XACK', stream, 'workers', ARGV[2]); redis.call('XDEL', stream, ARGV[2])
-- a task sent to this worker for affinity goes back to every worker
local home = redis.call('HGET', KEYS[1], 'home') or stream
redis.call('HSET', KEYS[1], 'state', 'PENDING', 'worker', '', 'stream', home)
redis.call('XADD', home, '*', 'v', '1', 'id', redis.call('HGET', KEYS[1], 'id'))
return 1
