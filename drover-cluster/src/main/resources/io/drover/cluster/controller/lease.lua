-- Takes or keeps the leader lease. KEYS[1] the lease ("<controller id> <epoch>"), KEYS[2] the epoch counter
-- (same slot). ARGV[1] controller id, ARGV[2] lease in ms.
-- Returns the epoch this controller leads with, or 0 when another controller holds the lease.
local held = redis.call('GET', KEYS[1])
if held then
  local id, epoch = string.match(held, '^(.*) (%d+)$')
  if id == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return tonumber(epoch)
  end
  return 0
end
local epoch = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. epoch, 'PX', ARGV[2])
return epoch
