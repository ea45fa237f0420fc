-- Renews the leader lease only if it still holds exactly this controller and epoch. KEYS[1] the lease.
-- ARGV[1] "<controller id> <epoch> <instance>", ARGV[2] lease in ms, ARGV[3] '1' to give the lease up instead.
-- Returns 1 when this controller still leads (or gave the lease up), 0 when it does not.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] == '1' then
  redis.call('DEL', KEYS[1])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
