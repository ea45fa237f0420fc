-- A worker that stops gives a task back at once instead of leaving it to lease expiry. Fenced like complete.
-- KEYS[1] task hash, KEYS[2] stream; ARGV[1] token, ARGV[2] entry id
if redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'state') ~= 'RUNNING' then
  return 0
end
redis.call('XACK', KEYS[2], 'workers', ARGV[2]); redis.call('XDEL', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'state', 'PENDING', 'worker', '')
redis.call('XADD', KEYS[2], '*', 'v', '1', 'id', redis.call('HGET', KEYS[1], 'id'))
return 1
