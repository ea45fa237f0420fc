-- A worker that stops gives a task back at once instead of leaving it to lease expiry. Fenced like complete.
-- KEYS[1] task hash; ARGV[1] worker id, ARGV[2] token, ARGV[3] entry id, ARGV[4] its stream, ARGV[5] the attempt
local me, token, entry, stream = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local p = redis.call('XPENDING', stream, '{{GROUP}}', entry, entry, 1)
if #p == 0 or p[1][2] ~= me or p[1][4] ~= token then return 0 end
redis.call('XACK', stream, '{{GROUP}}', entry); redis.call('XDEL', stream, entry)
-- a task sent to this worker for affinity goes back to every worker
requeue(KEYS[1], redis.call('HGET', KEYS[1], 'home') or stream, ARGV[5])
return 1
