-- Tasks on an agent. Try it on one machine:
--   ./drover agent -p 50051 &          (no token: it listens on 127.0.0.1 only)
--   ./drover run examples/remote.lua --workdir /tmp/drover-remote-demo
-- The working directory goes to the agent and what the tasks change comes back.
TaskDefinitions = {
  build = {
    delegate_to = { address = "127.0.0.1:50051" },
    tasks = {
      { name = "compile", command = [[
          mkdir -p out
          echo "built on the agent in $(pwd)" > out/app.txt
          chmod 755 out/app.txt
          echo "artifact=out/app.txt" >> "$DROVER_OUTPUT"
          echo "compiled"
        ]] },
      { name = "inspect", depends_on = "compile", command = function(params, deps)
          local text = fs.read(deps.compile.artifact)
          log.info("the agent sees: " .. text)
          return true, "checked " .. deps.compile.artifact, { bytes = #text }
        end },
    },
  },
  here = {
    tasks = {
      { name = "show", depends_on = "build.inspect", command = [[
          echo "back here: $(cat out/app.txt) ($DROVER_DEP_BUILD_INSPECT_BYTES bytes)"
          ls -l out/app.txt
        ]] },
    },
  },
}
