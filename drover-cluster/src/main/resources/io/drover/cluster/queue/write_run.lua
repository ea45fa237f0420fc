-- A fenced write about a run: applied only if the run still belongs to the writer's epoch, so a leader that lost
-- its lease (paused, partitioned) can no longer change a run another leader took over.
-- KEYS[1] the run's record, KEYS[2] its event stream, KEYS[3] the active set, KEYS[4] every run's event stream
-- (all in the {runs} slot).
-- ARGV[1] epoch, ARGV[2] the run's event stream's approximate length cap, ARGV[3] seconds to keep an ended run, or
-- 0 while it goes on (then record and events expire after that long and the run leaves the active set, in the same
-- step as its last write), ARGV[4] how many record values follow (field, value, ...), ARGV[5] the cap of every
-- run's stream, ARGV[6] the run's id, then the record values, then entries of events (each a JSON array of events),
-- each added to both streams with the run's id beside it.
-- Returns {1} when written, {0, epoch that holds the run} when refused.
local held = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0')
if held ~= tonumber(ARGV[1]) then return {0, held} end
local n = tonumber(ARGV[4])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 7, 6 + n)) end
for i = 7 + n, #ARGV do
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'run', ARGV[6], 'events', ARGV[i])
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[5], '*', 'run', ARGV[6], 'events', ARGV[i])
end
local keep = tonumber(ARGV[3])
if keep > 0 then
  redis.call('EXPIRE', KEYS[1], keep)
  redis.call('EXPIRE', KEYS[2], keep)
  redis.call('SREM', KEYS[3], ARGV[6])
end
return {1}
