package io.drover.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.core.TestWorkflows;
import io.drover.core.dsl.WorkflowLoader;
import io.drover.core.engine.LocalDispatcher;
import io.drover.core.engine.RunOptions;
import io.drover.core.engine.RunResult;
import io.drover.core.engine.RunStatus;
import io.drover.core.engine.Scheduler;
import io.drover.core.engine.TaskResult;
import io.drover.core.engine.TaskState;
import io.drover.core.model.TaskId;
import io.drover.core.plan.Planner;
import io.drover.core.runner.TaskKinds;
import io.drover.core.runner.TaskRunner;
import io.drover.core.state.StateHandle;
import io.drover.core.state.StateStore;
import io.drover.core.state.StateStores;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Lua {@code state} module and tasks' {@code memory}, run by the engine on a real SQLite store. */
class LuaStateTest {
    @TempDir
    Path dir;

    StateStore store;

    @BeforeEach
    void open() {
        store = StateStores.open("sqlite:" + dir.resolve("state.db"), dir, Clock.systemUTC());
    }

    @AfterEach
    void close() {
        store.close();
    }

    private RunResult run(String lua, Map<String, Object> params, String stateUrl) {
        WorkflowLoader.Loaded loaded = TestWorkflows.load(lua);
        try (StateHandle state = StateHandle.of(stateUrl, dir)) {
            TaskRunner runner = new TaskRunner(loaded.lua(), TaskKinds.none(), state);
            return Scheduler.run(
                    Planner.plan(loaded.workflow()),
                    new LocalDispatcher(runner, dir, dir.resolve(".scratch")),
                    RunOptions.builder().concurrency(8).params(params).build());
        }
    }

    private RunResult run(String lua) {
        return run(lua, Map.of(), "sqlite:" + dir.resolve("state.db"));
    }

    private static TaskResult task(RunResult r, String id) {
        return r.task(TaskId.parse(id));
    }

    @Test
    void incrementsFromTwentyConcurrentTasksAreAllCounted() {
        StringBuilder tasks = new StringBuilder();
        for (int i = 0; i < 20; i++)
            tasks.append("{ name = \"t")
                    .append(i)
                    .append("\", command = function() for i = 1, 10 do")
                    .append(" state.scope(\"workflow\"):incr(\"n\") end end },\n");
        RunResult r = run("TaskDefinitions = { g = { tasks = {\n" + tasks + "} } }");
        assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(store.get("workflow:flow", "n").json()).isEqualTo("200");
    }

    @Test
    void everyCallWorksFromLua() {
        RunResult r = run("""
                TaskDefinitions = { g = { tasks = { { name = "all", command = function()
                  local st = state.scope({ ns = "team-a", key = "prod" })
                  assert(st:get("nothing") == nil)
                  local v1 = st:set("cfg", { version = "1.4", flags = { 1, 2 }, on = true })
                  local cfg, ver = st:get_versioned("cfg")
                  assert(cfg.version == "1.4" and cfg.flags[2] == 2 and cfg.on == true and ver == v1)
                  local ok, v2 = st:cas("cfg", ver, "next")
                  assert(ok and v2 > v1)
                  local stale = st:cas("cfg", ver, "lost")
                  assert(stale == false and st:get("cfg") == "next")
                  assert(st:cas("fresh", nil, 1))
                  assert(st:incr("n", 5) == 5 and st:incr("n") == 6)
                  for i = 1, 5 do st:append("h", "e" .. i, { max = 3 }) end
                  local last2 = st:range("h", -2)
                  assert(#last2 == 2 and last2[1] == "e4" and last2[2] == "e5")
                  local all = st:range("h")
                  assert(#all == 3 and all[1] == "e3")
                  local keys = st:keys()
                  assert(#keys == 4 and keys[1] == "cfg" and keys[2] == "fresh" and keys[3] == "h")
                  assert(st:delete("n") and not st:delete("n"))
                  local a, b = st:with_lock("deploy", { ttl = "1m" }, function(token) return token, "inside" end)
                  assert(a > 0 and b == "inside")
                  local failed = pcall(function()
                    st:with_lock("deploy", { ttl = "1m" }, function() error("boom") end)
                  end)
                  assert(not failed)
                  local again = st:with_lock("deploy", {}, function(token) return token end)
                  assert(again > a, "released after the error: a larger token")
                  return true, "all " .. st.namespace
                end } } } }
                """);
        assertThat(task(r, "g.all").state()).as(task(r, "g.all").message()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(task(r, "g.all").message()).isEqualTo("all scope:key=prod,ns=team-a");
        assertThat(store.scope("scope:key=prod,ns=team-a").get("cfg").json()).isEqualTo("\"next\"");
    }

    @Test
    void theRunScopeIsEachRunsOwnAndTheWorkflowScopeOutlivesIt() {
        String lua = """
                TaskDefinitions = { g = { tasks = { { name = "t", command = function()
                  local r = state.scope("run"):incr("n")
                  local w = state.scope("workflow"):incr("n")
                  local g = state.scope("global"):incr("n")
                  return true, r .. " " .. w .. " " .. g
                end } } } }
                """;
        assertThat(task(run(lua), "g.t").message()).isEqualTo("1 1 1");
        assertThat(task(run(lua), "g.t").message()).isEqualTo("1 2 2");
    }

    @Test
    void memoryIsLoadedIntoParamsAndWhatTasksAppendIsSavedOnEveryOutcome() {
        String lua = """
                TaskDefinitions = { g = {
                  memory = { scope = { user_id = params.user }, load = "history", max = 4 },
                  tasks = {
                    { name = "lua", command = function(params)
                        table.insert(params.memory, { turn = #params.memory + 1 })
                        return true, tostring(#params.memory)
                      end },
                    { name = "shell", depends_on = "lua",
                      command = 'echo "$DROVER_PARAM_MEMORY"; echo "from shell" >> "$DROVER_MEMORY"; echo 42 >> "$DROVER_MEMORY"' },
                    { name = "fails", depends_on = "shell", command = function(params)
                        table.insert(params.memory, "learned before failing")
                        error("no")
                      end },
                  } } }
                """;
        RunResult first = run(lua, Map.of("user", "u1"), "sqlite:" + dir.resolve("state.db"));
        assertThat(task(first, "g.lua").message()).isEqualTo("1");
        assertThat(task(first, "g.shell").message()).isEqualTo("[{\"turn\":1}]");
        assertThat(task(first, "g.fails").state()).isEqualTo(TaskState.FAILED);
        assertThat(store.scope("scope:user_id=u1").range("history", 0, -1))
                .containsExactly("{\"turn\":1}", "\"from shell\"", "42", "\"learned before failing\"");

        RunResult second = run(lua, Map.of("user", "u1"), "sqlite:" + dir.resolve("state.db"));
        assertThat(task(second, "g.lua").message())
                .as("4 loaded (max), one appended")
                .isEqualTo("5");
        assertThat(store.scope("scope:user_id=u1").range("history", 0, -1)).hasSize(4);
        assertThat(store.scope("scope:user_id=u2").range("history", 0, -1)).isEmpty();

        RunResult noUser = run(lua, Map.of(), "sqlite:" + dir.resolve("state.db"));
        assertThat(task(noUser, "g.lua").message())
                .contains("memory scope of g.lua reads params.user, which this run does not set");
    }

    @Test
    void badCallsFailTheTaskWithOneLineNamingTheProblem() {
        RunResult r = run("""
                TaskDefinitions = { g = { tasks = {
                  { name = "scope", command = function() state.scope("bogus") end },
                  { name = "ttl", command = function() state.scope("run"):set("k", 1, { ttl = "soon" }) end },
                  { name = "dot", command = function() state.scope("run").get("k") end },
                  { name = "big", command = function() state.scope("run"):set("huge", string.rep("x", 17 * 1024 * 1024)) end },
                  { name = "kind", command = function() local s = state.scope("run"); s:set("v", 1); s:append("v", 2) end },
                  { name = "nolock", command = function()
                      local s = state.scope("run")
                      s:with_lock("l", {}, function() s:with_lock("l", { wait = "50ms" }, function() end) end)
                    end },
                } } }
                """);
        assertThat(task(r, "g.scope").message())
                .contains("state.scope: unknown scope 'bogus'")
                .doesNotContain("null");
        assertThat(task(r, "g.ttl").message()).contains("bad ttl 'soon' for key 'k'");
        assertThat(task(r, "g.dot").message()).contains("st:get: call it with a colon");
        assertThat(task(r, "g.big").message()).contains("the value of key 'huge' is 17 MiB, over the limit of 16 MiB");
        assertThat(task(r, "g.kind").message()).contains("key 'v' holds a value, not a list");
        assertThat(task(r, "g.nolock").message())
                .contains("lock 'l' is held by another holder and was not released within 50ms");
    }

    @Test
    void anUnreachableStoreFailsTheAttemptNamingTheStoreWithItsPasswordMaskedAndRetriesApply() {
        RunResult r = run("""
                TaskDefinitions = { g = { tasks = {
                  { name = "t", retries = 1, backoff = "10ms", command = function() state.scope("run"):get("k") end },
                } } }
                """, Map.of(), "postgres://drover:s3cret@127.0.0.1:1/test");
        TaskResult t = task(r, "g.t");
        assertThat(t.state()).isEqualTo(TaskState.FAILED);
        assertThat(t.attempts()).isEqualTo(2);
        assertThat(t.message())
                .contains("state store postgres://drover:***@127.0.0.1:1/test")
                .doesNotContain("s3cret");
    }

    @Test
    void aParamReferenceUsedAsAValueWhileTheFileLoadsSaysWhenParamsAreKnown() {
        String error = TestWorkflows.loadError(
                "TaskDefinitions = { g = { tasks = { { name = \"t\", command = \"echo \" .. params.x } } } }");
        assertThat(error).contains("params.x is only known when the task runs");
    }

    @Test
    void withoutAStoreStateSaysHowToGiveOne() {
        WorkflowLoader.Loaded loaded = TestWorkflows.load(
                "TaskDefinitions = { g = { tasks = { { name = \"t\", command = function() state.scope(\"run\"):get(\"k\") end } } } }");
        RunResult r = Scheduler.run(
                Planner.plan(loaded.workflow()),
                new LocalDispatcher(new TaskRunner(loaded.lua(), TaskKinds.none()), dir, dir.resolve("s")),
                RunOptions.builder().build());
        assertThat(task(r, "g.t").message()).contains("no state store here: give one with --state-url");
        assertThat(List.of(r.status())).containsExactly(RunStatus.FAILED);
    }
}
