-- Shared by the scripts that put a task back on a stream (handback, promote, rescue): Scripts prepends it to them.
-- An entry carries what an attempt needs: v (the entry schema), id, spec, and when they apply max_attempts,
-- notify (a follower's stream), followed ('1': write state events), failures and attempts (made before this entry).

-- Puts the task of record `key` on stream `home` as a new entry built from its record, `attempts` attempts made so
-- far, and points the record at it (PENDING again). Returns the entry id.
local function requeue(key, home, attempts)
  local r = redis.call('HMGET', key, 'id', 'spec', 'max_attempts', 'notify', 'followed', 'failures')
  local e = {'v', '{{ENTRY_VERSION}}', 'id', r[1], 'spec', r[2] or '{}'}
  if r[3] then e[#e + 1] = 'max_attempts'; e[#e + 1] = r[3] end
  if r[4] then e[#e + 1] = 'notify'; e[#e + 1] = r[4] end
  if r[5] == '1' then e[#e + 1] = 'followed'; e[#e + 1] = '1' end
  if r[6] and r[6] ~= '0' then e[#e + 1] = 'failures'; e[#e + 1] = r[6] end
  if attempts and tostring(attempts) ~= '0' then e[#e + 1] = 'attempts'; e[#e + 1] = tostring(attempts) end
  local entry = redis.call('XADD', home, '*', unpack(e))
  redis.call('HSET', key, 'state', 'PENDING', 'stream', home, 'entry', entry, 'worker', '')
  return entry
end

