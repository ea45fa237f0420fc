-- A leader takes a run over. KEYS[1] the run's record. ARGV[1] the leader's epoch, ARGV[2] controller id,
-- ARGV[3] now (ISO-8601).
-- Returns 1 when the run is now this epoch's, 0 when a newer epoch holds it, -1 when the run is unknown.
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local held = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0')
local mine = tonumber(ARGV[1])
if held > mine then return 0 end
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'controller', ARGV[2], 'claimed_at', ARGV[3])
return 1
