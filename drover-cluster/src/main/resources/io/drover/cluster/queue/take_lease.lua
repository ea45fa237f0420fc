-- Takes or keeps the leader lease. KEYS[1] the lease ("<controller id> <epoch> <instance>"), KEYS[2] the epoch
-- counter (same slot). ARGV[1] controller id, ARGV[2] lease in ms, ARGV[3] this process's instance token.
-- The holder is a process: a controller restarted with the same id (another instance) never inherits the lease
-- or its epoch; it takes a new epoch once the old lease lapsed.
-- Returns the epoch this process leads with, or 0 when another process holds the lease.
local held = redis.call('GET', KEYS[1])
if held then
  local id, epoch, instance = string.match(held, '^(%S+) (%d+) (%S+)$')
  if id == ARGV[1] and instance == ARGV[3] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return tonumber(epoch)
  end
  return 0
end
local epoch = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. epoch .. ' ' .. ARGV[3], 'PX', ARGV[2])
return epoch
