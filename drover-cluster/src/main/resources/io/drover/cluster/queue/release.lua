-- Gives delivered entries back without claiming them (a worker that started draining while its read was
-- waiting): each goes back to the end of its stream, as it was. KEYS[1] the stream; ARGV entry ids.
local n = 0
for i = 1, #ARGV do
  local e = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])
  redis.call('XACK', KEYS[1], 'workers', ARGV[i])
  if #e > 0 then
    redis.call('XDEL', KEYS[1], ARGV[i])
    redis.call('XADD', KEYS[1], '*', unpack(e[1][2]))
    n = n + 1
  end
end
return n
