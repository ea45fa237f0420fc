-- Log lines of one attempt, written only while its worker still holds the task (the entry pending for it with the
-- attempt's delivery count, as renew checks): a worker that was paused or cut off, and wakes up after another
-- worker took the task over, never appends lines after that task's end.
-- KEYS[1] the entry's stream, KEYS[2] the task's event stream, KEYS[3] its follower's stream (KEYS[2] for none)
-- ARGV[1] worker id, ARGV[2] token, ARGV[3] entry id, ARGV[4] attempt, ARGV[5] '1' to write the attempt's RUNNING
-- event first, ARGV[6] task id, ARGV[7] '1' when there is a follower, then the lines
-- Returns 1 written, 0 lost (someone else holds the task now: nothing written)
local p = redis.call('XPENDING', KEYS[1], '{{GROUP}}', ARGV[3], ARGV[3], 1)
if #p == 0 or p[1][2] ~= ARGV[1] or p[1][4] ~= tonumber(ARGV[2]) then return 0 end
if ARGV[5] == '1' then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', 1000, '*', 'type', 'state', 'state', 'RUNNING', 'attempt', ARGV[4],
    'worker', ARGV[1])
end
for i = 8, #ARGV do
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', 1000, '*', 'type', 'log', 'attempt', ARGV[4], 'line', ARGV[i])
  if ARGV[7] == '1' then
    redis.call('XADD', KEYS[3], 'MAXLEN', '~', 100000, '*', 'type', 'log', 'id', ARGV[6], 'line', ARGV[i])
  end
end
return 1
