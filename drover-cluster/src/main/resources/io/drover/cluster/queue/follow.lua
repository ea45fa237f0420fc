-- Asks for a task's state events from now on (they are written only for tasks someone follows, or that log).
-- KEYS[1] task hash, KEYS[2] the queue's set of tasks followed before they started, KEYS[3] the task's event stream.
-- Returns 1, or 0 for an unknown task (no record is made up for it).
-- A queued task goes into the set, which the claim looks at (only while it is not empty) to write its RUNNING
-- event; for a task that runs already, the RUNNING event is written here.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'followed', '1')
local h = redis.call('HMGET', KEYS[1], 'state', 'stream', 'entry', 'attempt', 'id')
if h[1] == 'PENDING' and h[3] then
  local p = redis.call('XPENDING', h[2], '{{GROUP}}', h[3], h[3], 1)
  if #p == 0 then
    redis.call('SADD', KEYS[2], h[5])
  else
    redis.call('XADD', KEYS[3], 'MAXLEN', '~', 1000, '*',
      'type', 'state', 'state', 'RUNNING', 'attempt', tonumber(h[4] or '0') + p[1][4], 'worker', p[1][2])
  end
end
return 1
