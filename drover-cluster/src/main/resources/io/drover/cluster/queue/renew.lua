-- A worker's heartbeat for the tasks it runs: resets each entry's idle time (its lease) if the worker still
-- holds the current attempt, and reports which of them were asked to cancel or were lost.
-- KEYS[1] the queue's plain stream (for records without their own 'stream'); ARGV[1] worker id, then triples:
-- task hash key, token, entry id
-- Returns one code per task: 1 held, 2 held and cancel requested, 0 lost (someone else holds it now)
local out = {}
for i = 2, #ARGV, 3 do
  local key, token, entry = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('HGET', key, 'attempt') == token and redis.call('HGET', key, 'state') == 'RUNNING' then
    redis.call('XCLAIM', redis.call('HGET', key, 'stream') or KEYS[1], 'workers', ARGV[1], 0, entry, 'JUSTID')
    out[#out + 1] = (redis.call('HGET', key, 'cancel') == '1') and 2 or 1
  else
    out[#out + 1] = 0
  end
end
return out
