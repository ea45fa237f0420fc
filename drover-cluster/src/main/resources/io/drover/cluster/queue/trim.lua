-- Trims a stream of its entries that the consumer group is done with: those before both the group's last
-- delivered entry and its oldest pending (unacknowledged) one. Entries not yet delivered and pending ones stay.
-- Approximate ('~'): only whole nodes go, which is cheap. KEYS[1] the stream. Returns how many entries went.
local function older(a, b) -- stream ids as strings: whether a < b
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local last
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local name, delivered
  for i = 1, #g, 2 do
    if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then delivered = g[i + 1] end
  end
  if name == '{{GROUP}}' then last = delivered end
end
if not last or last == '0-0' then return 0 end
local p = redis.call('XPENDING', KEYS[1], '{{GROUP}}')
if p[1] > 0 and older(p[2], last) then last = p[2] end
return redis.call('XTRIM', KEYS[1], 'MINID', '~', last)
