-- A fenced write about a run: applied only if the run still belongs to the writer's epoch, so a leader that lost
-- its lease (paused, partitioned) can no longer change a run another leader took over.
-- KEYS[1] the run's record, KEYS[2] its event stream (same slot).
-- ARGV[1] epoch, ARGV[2] the event stream's approximate length cap, ARGV[3] how many record values follow
-- (field, value, ...), then the events, each as a count k and k values (field, value, ...).
-- Returns {1} when written, {0, epoch that holds the run} when refused.
local held = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0')
if held ~= tonumber(ARGV[1]) then return {0, held} end
local n = tonumber(ARGV[3])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 4, 3 + n)) end
local i = 4 + n
while i <= #ARGV do
  local k = tonumber(ARGV[i])
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, i + 1, i + k))
  i = i + k + 1
end
return {1}
