-- A worker's heartbeat for the tasks it runs: resets each entry's idle time (its lease) if the worker still holds
-- it with the same delivery count (the attempt's token), and reports which of them were asked to cancel or were lost.
-- KEYS[1] the queue's plain stream (routing only); ARGV[1] worker id, then per task: its hash key, token, entry id,
-- stream
-- Returns one code per task: 1 held, 2 held and cancel requested, 0 lost (someone else holds it now)
local out = {}
local me = ARGV[1]
for i = 2, #ARGV, 4 do
  local key, token, entry, stream = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3]
  local p = redis.call('XPENDING', stream, '{{GROUP}}', entry, entry, 1)
  if #p > 0 and p[1][2] == me and p[1][4] == token then
    redis.call('XCLAIM', stream, '{{GROUP}}', me, 0, entry, 'JUSTID') -- JUSTID: the delivery count stays
    out[#out + 1] = (redis.call('HGET', key, 'cancel') == '1') and 2 or 1
  else
    out[#out + 1] = 0
  end
end
return out
