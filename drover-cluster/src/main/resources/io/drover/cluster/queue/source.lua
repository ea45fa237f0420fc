-- Stores a workflow's source under its content address (SourceRef), or keeps the stored one: its expiry only grows.
-- KEYS[1] the source hash (Keys.source); ARGV[1] name, ARGV[2] text, ARGV[3] time to live (seconds)
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'name', ARGV[1], 'text', ARGV[2])
end
if redis.call('TTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return 1
