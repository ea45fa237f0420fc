-- A 20-task DAG for the fleet: one seed, six branches of three tasks each (shell -> Lua -> Lua), one sum.
-- Outputs flow between tasks, nothing goes through files, so any worker can run any task.
--
--   ./drover run examples/fleet.lua                                     # here
--   ./drover run examples/fleet.lua --redis-url redis://127.0.0.1:6379   # on the controllers and workers
--   ./drover run examples/fleet.lua --param pause=2                      # each shell task sleeps 2 s
local tasks = {
  { name = "seed", command = function(params) return true, "seeded", { n = 1 } end },
}
local last = {}
for i = 1, 6 do
  tasks[#tasks + 1] = { name = "square_" .. i, depends_on = "seed",
    command = 'sleep "${DROVER_PARAM_PAUSE:-0}"; echo "v=$((DROVER_DEP_SEED_N * ' .. i .. ' * ' .. i .. '))" >> "$DROVER_OUTPUT"' }
  tasks[#tasks + 1] = { name = "double_" .. i, depends_on = "square_" .. i,
    command = function(params, deps)
      return true, "", { v = tonumber(deps["square_" .. i].v) * 2 }
    end }
  tasks[#tasks + 1] = { name = "inc_" .. i, depends_on = "double_" .. i,
    command = function(params, deps)
      return true, "", { v = deps["double_" .. i].v + 1 }
    end }
  last[#last + 1] = "inc_" .. i
end
tasks[#tasks + 1] = { name = "sum", depends_on = last,
  command = function(params, deps)
    local total = 0
    for _, name in ipairs({ "inc_1", "inc_2", "inc_3", "inc_4", "inc_5", "inc_6" }) do total = total + deps[name].v end
    return true, "total " .. total, { total = total }
  end }

TaskDefinitions = { fleet = { tasks = tasks } }
