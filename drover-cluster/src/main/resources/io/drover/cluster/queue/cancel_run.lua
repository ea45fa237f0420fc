-- Asks the leader to cancel a run, unless it is unknown or has ended (checked and set in one step), and wakes the
-- controllers (an entry naming the run on their wake stream), so the leader passes the request on at once.
-- KEYS[1] the run's record, KEYS[2] the controllers' wake stream; ARGV[1] the reason, ARGV[2] the run's id.
-- Returns 1 when asked, 0 when the run is unknown or ended.
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'SUCCEEDED' or state == 'FAILED' or state == 'CANCELLED' then return 0 end
redis.call('HSET', KEYS[1], 'cancel', ARGV[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', 100, '*', 'run', ARGV[2])
return 1
