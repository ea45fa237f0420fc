-- A build pipeline: resolve a version, compile three parts in parallel (fan-out), test them together
-- (fan-in), package, then ship. Shows params, outputs flowing Lua -> shell -> Lua, retries with backoff,
-- timeouts, run_if and group defaults.
--
--   ./drover run examples/pipeline.lua --param release=1.4
--   ./drover plan examples/pipeline.lua --format mermaid
TaskDefinitions = {
  build = {
    description = "Build and package",
    workdir = "build/pipeline",             -- a default for every task of the group
    timeout = "2m",
    tasks = {
      { name = "version", description = "Resolve the version to build",
        command = function(params)
          local v = params.release or "0.0.0-dev"
          log.info("building release " .. v)
          return true, "version " .. v, { v = v }
        end },

      -- fan-out: three compiles run at once, each reading the version and reporting its size
      { name = "compile_api", depends_on = "version",
        command = [[mkdir -p out && echo "api $DROVER_DEP_VERSION_V" > out/api.txt &&
                    echo "bytes=$(wc -c < out/api.txt)" >> "$DROVER_OUTPUT"]] },
      { name = "compile_web", depends_on = "version",
        command = [[mkdir -p out && echo "web $DROVER_DEP_VERSION_V" > out/web.txt && sleep 0.3 &&
                    echo "bytes=$(wc -c < out/web.txt)" >> "$DROVER_OUTPUT"]] },
      { name = "compile_cli", depends_on = "version",
        command = function(params, deps)
          fs.mkdir("out")
          fs.write("out/cli.txt", "cli " .. deps.version.v .. "\n")
          return true, "compiled", { bytes = #fs.read("out/cli.txt") }
        end },

      -- fan-in: the tests fail once (a simulated flaky network) and pass on the retry
      { name = "test", depends_on = { "compile_api", "compile_web", "compile_cli" },
        retries = 2, backoff = { initial = "200ms", max = "2s" },
        command = [[if [ "$DROVER_ATTEMPT" = 1 ]; then echo "flaky: connection reset"; exit 1; fi
                    echo "$(ls out | wc -l) parts, $((DROVER_DEP_COMPILE_API_BYTES + DROVER_DEP_COMPILE_WEB_BYTES)) bytes of api+web"]] },

      { name = "package", depends_on = "test", timeout = "30s",
        command = function(params, deps)
          local artifact = "app-" .. (params.release or "dev") .. ".tgz"
          local _, err, code = exec.run({ "tar", "czf", artifact, "out" })
          if code ~= 0 then return false, "tar failed: " .. err end
          local sum = exec.run({ "sha256sum", artifact })
          return true, "packaged " .. artifact, { artifact = artifact, sha256 = sum:sub(1, 64) }
        end },
    },
  },

  deploy = {
    workdir = "build/pipeline",
    tasks = {
      { name = "ship", depends_on = "build.package",
        command = 'echo "shipping $DROVER_DEP_BUILD_PACKAGE_ARTIFACT (sha256 $DROVER_DEP_BUILD_PACKAGE_SHA256)"' },
      { name = "notify", depends_on = "ship",
        run_if = function(params) return params.notify == "yes" end,   -- --param notify=yes to run it
        command = function() log.info("release announced"); return true, "announced" end },
    },
  },
}
