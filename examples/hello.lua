-- The smallest workflow: one shell task, one Lua task that reads its output.
--   ./drover run examples/hello.lua --param name=world
TaskDefinitions = {
  hello = {
    description = "Say hello twice",
    tasks = {
      { name = "shell",
        command = 'echo "hello, ${DROVER_PARAM_NAME:-you}, from sh" && echo greeted=yes >> "$DROVER_OUTPUT"' },
      { name = "lua", depends_on = "shell",
        command = function(params, deps)
          log.info("hello, " .. (params.name or "you") .. ", from Lua")
          return true, "shell greeted: " .. deps.shell.greeted
        end },
    },
  },
}
