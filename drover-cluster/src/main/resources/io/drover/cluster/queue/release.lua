-- Gives delivered entries back without claiming them (a worker that started draining while its read was
-- waiting): each goes back to the end of its stream, as it was, and its task's record names the new entry.
-- KEYS[1] the stream; ARGV[1] key prefix of task hashes, ARGV[2..] entry ids
local n = 0
for i = 2, #ARGV do
  local e = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])
  redis.call('XACK', KEYS[1], '{{GROUP}}', ARGV[i])
  if #e > 0 then
    redis.call('XDEL', KEYS[1], ARGV[i])
    local entry = redis.call('XADD', KEYS[1], '*', unpack(e[1][2]))
    local fields = e[1][2]
    for j = 1, #fields, 2 do
      if fields[j] == 'id' then
        local key = ARGV[1] .. fields[j + 1]
        if redis.call('HGET', key, 'entry') == ARGV[i] then redis.call('HSET', key, 'entry', entry) end
      end
    end
    n = n + 1
  end
end
return n
