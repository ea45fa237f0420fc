-- Asks the leader to cancel a run, unless it is unknown or has ended (checked and set in one step).
-- KEYS[1] the run's record; ARGV[1] the reason. Returns 1 when asked, 0 when the run is unknown or ended.
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'SUCCEEDED' or state == 'FAILED' or state == 'CANCELLED' then return 0 end
redis.call('HSET', KEYS[1], 'cancel', ARGV[1])
return 1
