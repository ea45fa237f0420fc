-- Moves the entries of one worker's own stream (tasks sent to it for affinity) to each task's home stream,
-- because the worker no longer takes them (it stopped, drains or died). KEYS[1] the worker's stream.
-- ARGV[1] 'all' to move entries it was delivered too (the worker is gone: its tasks are given to others; a late
-- outcome from it is refused, as after any take-over), else only entries it was never delivered.
-- ARGV[2] the key prefix of task hashes. Returns how many entries moved.
local delivered = {} -- entry -> delivery count
for _, p in ipairs(redis.call('XPENDING', KEYS[1], '{{GROUP}}', '-', '+', 10000)) do delivered[p[1]] = p[4] end
local moved = 0
for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1000)) do
  local entry, fields = e[1], e[2]
  if ARGV[1] == 'all' or not delivered[entry] then
    local id, attempts
    for i = 1, #fields, 2 do
      if fields[i] == 'id' then id = fields[i + 1] elseif fields[i] == 'attempts' then attempts = fields[i + 1] end
    end
    redis.call('XACK', KEYS[1], '{{GROUP}}', entry); redis.call('XDEL', KEYS[1], entry)
    if id then
      local key = ARGV[2] .. id
      local f = redis.call('HMGET', key, 'state', 'home', 'entry')
      if (f[1] == 'PENDING' or f[1] == 'RUNNING') and (not f[3] or f[3] == entry) then
        local home = f[2] or string.match(KEYS[1], '^(.*):@')
        requeue(key, home, tonumber(attempts or '0') + (delivered[entry] or 0))
        moved = moved + 1
      end
    end
  end
end
return moved
