-- Asks for a task's state events from now on (they are written only for tasks someone follows, or that log).
-- KEYS[1] task hash. Returns 1, or 0 for an unknown task (no record is made up for it).
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'followed', '1')
return 1
