package io.drover.core.engine;

import static io.drover.core.TestWorkflows.load;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.drover.core.TestProcesses;
import io.drover.core.TestWorkflows.Recorder;
import io.drover.core.dsl.WorkflowLoader;
import io.drover.core.model.TaskId;
import io.drover.core.plan.Planner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheduler's semantics, which every dispatcher must keep. Subclass it once per {@link Dispatcher}: the
 * local one here, the agent and cluster ones in their modules.
 */
public abstract class DispatcherContract {
    @TempDir
    protected Path dir;

    protected Recorder recorder;
    private Dispatcher dispatcher;

    /** A dispatcher that runs the workflow's tasks with relative workdirs resolved against {@code baseDir}. */
    protected abstract Dispatcher newDispatcher(WorkflowLoader.Loaded workflow, Path baseDir) throws Exception;

    /**
     * Whether what a task writes in its working directory is in {@code baseDir} when it ends (locally and on
     * agents, which send changes back; not on workers, whose directories are their own).
     */
    protected boolean filesComeBack() {
        return true;
    }

    /**
     * Whether tasks running at the same time see each other's files while they run, and the run's own paths
     * (only in process: agents give each task a private copy).
     */
    protected boolean sharesDirectoryWhileRunning() {
        return true;
    }

    private void needsFilesBack() {
        Assumptions.assumeTrue(filesComeBack(), "this dispatcher does not bring files back");
    }

    private void needsSharedDirectory() {
        Assumptions.assumeTrue(sharesDirectoryWhileRunning(), "tasks of this dispatcher run in private directories");
    }

    @AfterEach
    void closeDispatcher() {
        if (dispatcher != null) dispatcher.close();
    }

    protected RunHandle start(String lua, Consumer<RunOptions.Builder> options) throws Exception {
        WorkflowLoader.Loaded wf = load(lua);
        recorder = new Recorder();
        dispatcher = newDispatcher(wf, dir);
        RunOptions.Builder b = RunOptions.builder().concurrency(4).listener(recorder);
        options.accept(b);
        return Scheduler.start(Planner.plan(wf.workflow()), dispatcher, b.build());
    }

    protected RunResult run(String lua, Consumer<RunOptions.Builder> options) throws Exception {
        RunResult r = start(lua, options).await(Duration.ofSeconds(60));
        assertThat(r).as("the run ended within a minute").isNotNull();
        return r;
    }

    protected RunResult run(String lua) throws Exception {
        return run(lua, b -> {});
    }

    private static TaskId id(String s) {
        return TaskId.parse(s);
    }

    private String read(String file) throws IOException {
        return Files.readString(dir.resolve(file), StandardCharsets.UTF_8);
    }

    private static boolean alive(long pid) {
        return TestProcesses.alive(pid);
    }

    @Test
    void runsIndependentTasksAtTheSameTime() throws Exception {
        needsSharedDirectory();
        // Each task waits for the other's file: both succeed only if they run at once.
        String wait = "touch %s; i=0; while [ ! -f %s ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; [ -f %s ]";
        RunResult r = run(
                "TaskDefinitions = { g = { tasks = {"
                        + "{ name = 'a', command = '" + wait.formatted("a.flag", "b.flag", "b.flag") + "' },"
                        + "{ name = 'b', command = '" + wait.formatted("b.flag", "a.flag", "a.flag") + "' } } } }",
                b -> b.concurrency(2));
        assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
    }

    @Test
    void neverRunsMoreTasksThanTheConcurrencyAllows() throws Exception {
        needsSharedDirectory();
        // mkdir is atomic: a second task inside the section at the same time fails.
        String critical = "mkdir lock || exit 1; sleep 0.05; rmdir lock";
        StringBuilder lua = new StringBuilder("TaskDefinitions = { g = { tasks = {");
        for (int i = 0; i < 6; i++)
            lua.append("{ name = 't")
                    .append(i)
                    .append("', command = '")
                    .append(critical)
                    .append("' },");
        RunResult r = run(lua.append("} } }").toString(), b -> b.concurrency(1));
        assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
    }

    @Test
    void runsDependenciesBeforeDependents() throws Exception {
        needsFilesBack();
        RunResult r = run("""
        TaskDefinitions = { g = { tasks = {
          { name = 'c', depends_on = { 'a', 'b' }, command = 'cat a b > c' },
          { name = 'a', command = 'sleep 0.2; echo a > a' },
          { name = 'b', depends_on = 'a', command = 'echo b > b' },
        } } }""");
        assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(read("c")).isEqualTo("a\nb\n");
    }

    @Test
    void retriesExactlyAsManyTimesAsConfiguredThenFails() throws Exception {
        needsFilesBack();
        RunResult r = run("""
        TaskDefinitions = { g = { tasks = {
          { name = 'flaky', retries = 3, backoff = '10ms', command = 'echo try >> attempts.txt; exit 3' },
        } } }""");
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        TaskResult t = r.task(id("g.flaky"));
        assertThat(t.state()).isEqualTo(TaskState.FAILED);
        assertThat(t.attempts()).isEqualTo(4);
        assertThat(t.message()).isEqualTo("exit code 3");
        assertThat(read("attempts.txt").lines()).hasSize(4);
        assertThat(recorder.statesOf("g.flaky"))
                .containsExactly(
                        TaskState.READY,
                        TaskState.RUNNING,
                        TaskState.RETRYING,
                        TaskState.READY,
                        TaskState.RUNNING,
                        TaskState.RETRYING,
                        TaskState.READY,
                        TaskState.RUNNING,
                        TaskState.RETRYING,
                        TaskState.READY,
                        TaskState.RUNNING,
                        TaskState.FAILED);
    }

    @Test
    void succeedsOnALaterAttemptAndWaitsTheBackoffBetween() throws Exception {
        long start = System.nanoTime();
        RunResult r = run("""
        TaskDefinitions = { g = { tasks = {
          { name = 't', retries = 2, backoff = { initial = '300ms', jitter = false },
            command = '[ "$DROVER_ATTEMPT" = 2 ]' },
        } } }""");
        assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(r.task(id("g.t")).attempts()).isEqualTo(2);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }

    @Test
    void timeoutKillsTheWholeProcessTree() throws Exception {
        needsFilesBack();
        RunResult r = run("""
        TaskDefinitions = { g = { tasks = {
          { name = 'slow', timeout = '500ms', command = 'sleep 300 & echo $! > child.pid; sleep 300' },
        } } }""");
        TaskResult t = r.task(id("g.slow"));
        assertThat(t.state()).isEqualTo(TaskState.FAILED);
        assertThat(t.message()).isEqualTo("timed out after 500ms");
        long child = Long.parseLong(read("child.pid").strip());
        await().atMost(Duration.ofSeconds(10)).until(() -> !alive(child));
    }

    @Test
    void timeoutAlsoKillsGrandchildrenThatStartedTheirOwnSession() throws Exception {
        needsFilesBack();
        RunResult r = run("""
        TaskDefinitions = { g = { tasks = {
          { name = 'slow', timeout = '500ms', command = 'setsid sleep 300 & echo $! > child.pid; sleep 300' },
        } } }""");
        assertThat(r.task(id("g.slow")).message()).isEqualTo("timed out after 500ms");
        long child = Long.parseLong(read("child.pid").strip());
        await().atMost(Duration.ofSeconds(10)).until(() -> !alive(child));
    }

    @Test
    void backgroundChildrenLeftByAFinishedTaskAreStoppedAndDoNotHoldItOpen() throws Exception {
        needsFilesBack();
        long start = System.nanoTime();
        RunResult r = run("""
        TaskDefinitions = { g = { tasks = {
          { name = 't', command = 'sleep 300 & echo $! > child.pid; echo started' },
        } } }""");
        assertThat(r.task(id("g.t")).state()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(r.task(id("g.t")).message()).isEqualTo("started");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        long child = Long.parseLong(read("child.pid").strip());
        await().atMost(Duration.ofSeconds(10)).until(() -> !alive(child));
    }

    @Test
    void aTimedOutAttemptIsRetried() throws Exception {
        RunResult r = run("""
        TaskDefinitions = { g = { tasks = {
          { name = 't', timeout = '300ms', retries = 1, backoff = '10ms',
            command = 'if [ "$DROVER_ATTEMPT" = 1 ]; then sleep 30; fi; echo done' },
        } } }""");
        assertThat(r.task(id("g.t")).state()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(r.task(id("g.t")).attempts()).isEqualTo(2);
    }

    @Test
    void cancelKillsRunningTreesAndQueuedTasksNeverStart() throws Exception {
        needsSharedDirectory();
        RunHandle h = start("""
        TaskDefinitions = { g = { tasks = {
          { name = 'long', command = 'sleep 300 & echo $! > child.pid; wait' },
          { name = 'after', depends_on = 'long', command = 'touch after.ran' },
        } } }""", b -> {});
        await().atMost(Duration.ofSeconds(10))
                .until(() -> Files.exists(dir.resolve("child.pid"))
                        && !read("child.pid").isBlank());
        long child = Long.parseLong(read("child.pid").strip());
        h.cancel("test cancel");
        RunResult r = h.await(Duration.ofSeconds(30));
        assertThat(r.status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(r.task(id("g.long")).state()).isEqualTo(TaskState.CANCELLED);
        assertThat(r.task(id("g.after")).state()).isEqualTo(TaskState.CANCELLED);
        assertThat(r.task(id("g.after")).attempts()).isZero();
        assertThat(dir.resolve("after.ran")).doesNotExist();
        await().atMost(Duration.ofSeconds(10)).until(() -> !alive(child));
    }

    @Test
    void aFailedTaskSkipsItsDependentsWhileIndependentBranchesFinish() throws Exception {
        needsFilesBack();
        RunResult r = run("""
        TaskDefinitions = { g = { tasks = {
          { name = 'bad', command = 'exit 1' },
          { name = 'child', depends_on = 'bad', command = 'true' },
          { name = 'grandchild', depends_on = 'child', command = 'true' },
          { name = 'other', command = 'sleep 0.3; touch other.done' },
        } } }""");
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.task(id("g.child")).state()).isEqualTo(TaskState.SKIPPED);
        assertThat(r.task(id("g.child")).message()).isEqualTo("skipped: dependency g.bad failed");
        assertThat(r.task(id("g.grandchild")).state()).isEqualTo(TaskState.SKIPPED);
        assertThat(r.task(id("g.other")).state()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(dir.resolve("other.done")).exists();
    }

    @Test
    void failFastCancelsTheOtherBranches() throws Exception {
        RunResult r = run("""
        TaskDefinitions = { g = { tasks = {
          { name = 'bad', command = 'exit 1' },
          { name = 'slow', command = 'sleep 30' },
          { name = 'later', depends_on = 'slow', command = 'true' },
        } } }""", b -> b.failFast(true));
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.task(id("g.slow")).state()).isEqualTo(TaskState.CANCELLED);
        assertThat(r.task(id("g.slow")).message()).contains("--fail-fast after g.bad failed");
        assertThat(r.task(id("g.later")).state()).isIn(TaskState.CANCELLED, TaskState.SKIPPED);
    }

    @Test
    void outputsFlowBetweenShellAndLuaTasksInBothDirections() throws Exception {
        needsFilesBack();
        RunResult r = run("""
        TaskDefinitions = {
          a = { tasks = {
            { name = 'sh1', command = 'echo "greeting=hello world" >> "$DROVER_OUTPUT"; echo count=2 >> "$DROVER_OUTPUT"' },
            { name = 'lua1', depends_on = 'sh1', command = function(params, deps)
                return true, 'ok', { shout = deps.sh1.greeting:upper(), n = tonumber(deps["a.sh1"].count) * 21 }
              end },
          } },
          b = { tasks = {
            { name = 'sh2', depends_on = 'a.lua1',
              command = 'echo "$DROVER_DEP_A_LUA1_SHOUT/$DROVER_DEP_A_LUA1_N" > seen.txt; echo "seen=yes" >> "$DROVER_OUTPUT"' },
            { name = 'lua2', depends_on = { 'sh2', 'a.lua1' }, command = function(params, deps)
                return deps.sh2.seen == 'yes' and deps['a.lua1'].n == 42, 'checked', { final = deps['a.lua1'].shout }
              end },
          } },
        }""");
        assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(read("seen.txt")).isEqualTo("HELLO WORLD/42\n");
        assertThat(r.task(id("a.sh1")).outputs()).isEqualTo(Map.of("greeting", "hello world", "count", "2"));
        assertThat(r.task(id("a.lua1")).outputs()).isEqualTo(Map.of("shout", "HELLO WORLD", "n", 42L));
        assertThat(r.task(id("b.lua2")).outputs()).isEqualTo(Map.of("final", "HELLO WORLD"));
    }

    @Test
    void parametersAndOutputsReachCommandsAsDataNeverAsCode() throws Exception {
        needsFilesBack();
        String payload1 = "$(touch pwned1); rm -rf nothing";
        String payload2 = "'; touch pwned2; echo '";
        String payload3 = "`touch pwned3`\"; touch pwned4; \"";
        RunResult r = run(
                """
        TaskDefinitions = { g = { tasks = {
          { name = 'echo1', command = 'printf "%s\\n%s\\n" "$DROVER_PARAM_EVIL" "$DROVER_PARAM_QUOTE" > params.txt' },
          { name = 'emit', command = function() return true, 'ok', { evil = [[%s]] } end },
          { name = 'echo2', depends_on = 'emit', command = 'printf "%%s" "$DROVER_DEP_EMIT_EVIL" > output.txt' },
        } } }""".replace("%s]]", payload3 + "]]").replace("%%s", "%s"),
                b -> b.param("evil", payload1).param("quote", payload2));
        assertThat(r.status()).as(r.toString()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(read("params.txt")).isEqualTo(payload1 + "\n" + payload2 + "\n");
        assertThat(read("output.txt")).isEqualTo(payload3);
        for (String f : List.of("pwned1", "pwned2", "pwned3", "pwned4"))
            assertThat(dir.resolve(f)).doesNotExist();
    }

    @Test
    void runParametersOverrideTaskParameters() throws Exception {
        RunResult r = run("""
        TaskDefinitions = { g = { params = { a = 'group', b = 'group' }, tasks = {
          { name = 't', params = { b = 'task', c = 'task' }, command = function(params)
              return true, params.a .. ',' .. params.b .. ',' .. params.c end },
        } } }""", b -> b.param("c", "run"));
        assertThat(r.task(id("g.t")).message()).isEqualTo("group,task,run");
    }

    @Test
    void runIfFalseSkipsTheTaskAndItsDependents() throws Exception {
        needsFilesBack();
        RunResult r = run("""
        TaskDefinitions = { g = { tasks = {
          { name = 'lua_no', run_if = function(params) return params.go == 'yes' end, command = 'touch lua_no.ran' },
          { name = 'sh_no', run_if = 'test -f missing.file', command = 'touch sh_no.ran' },
          { name = 'sh_yes', run_if = 'true', command = 'touch sh_yes.ran' },
          { name = 'after', depends_on = 'lua_no', command = 'touch after.ran' },
        } } }""");
        assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(r.task(id("g.lua_no")).state()).isEqualTo(TaskState.SKIPPED);
        assertThat(r.task(id("g.sh_no")).state()).isEqualTo(TaskState.SKIPPED);
        assertThat(r.task(id("g.after")).state()).isEqualTo(TaskState.SKIPPED);
        assertThat(r.task(id("g.sh_yes")).state()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(dir.resolve("sh_yes.ran")).exists();
        assertThat(dir.resolve("lua_no.ran")).doesNotExist();
        assertThat(dir.resolve("after.ran")).doesNotExist();
    }

    @Test
    void aRunawayLuaFunctionIsStoppedByItsTimeoutEvenInsidePcall() throws Exception {
        RunResult r = run("""
        TaskDefinitions = { g = { tasks = {
          { name = 'spin', timeout = '300ms', command = function() while true do end end },
          { name = 'sneaky', timeout = '300ms', command = function()
              while true do pcall(function() while true do end end) end end },
        } } }""");
        assertThat(r.task(id("g.spin")).state()).isEqualTo(TaskState.FAILED);
        assertThat(r.task(id("g.spin")).message()).isEqualTo("timed out after 300ms");
        assertThat(r.task(id("g.sneaky")).state()).isEqualTo(TaskState.FAILED);
        assertThat(r.task(id("g.sneaky")).message()).isEqualTo("timed out after 300ms");
    }

    @Test
    void aBacktrackingPatternIsStoppedByItsTimeout() throws Exception {
        RunResult r = run("""
        TaskDefinitions = { g = { tasks = {
          { name = 'regex', timeout = '500ms', command = function()
              return ("a"):rep(250):find(".-.-.-.-b") ~= nil end },
          { name = 'after', depends_on = 'regex', command = 'true' },
          { name = 'beside', command = function() return true, "ran" end },
        } } }""");
        assertThat(r.task(id("g.regex")).state()).isEqualTo(TaskState.FAILED);
        assertThat(r.task(id("g.regex")).message()).isEqualTo("timed out after 500ms");
        assertThat(r.task(id("g.beside")).state()).isEqualTo(TaskState.SUCCEEDED);
    }

    @Test
    void aTaskThatChangesLibrariesGlobalsOrMetatablesLeavesThemAsTheyWereForTheNextTask() throws Exception {
        RunResult r = run("""
        local seen, count = {}, 0
        TaskDefinitions = { g = { tasks = {
          { name = 'vandal', command = function()
              rawset(_G, 'Leaked', 'yes')
              local refused = 0
              for _, f in ipairs({
                  function() string.format = function() return 'evil' end end,
                  function() getmetatable('').__index = { upper = function() return 'evil' end } end,
                  function() fs.read = function() return 'evil' end end,
                  function() table.insert(string, 'x') end,
                  function() setmetatable(_G, {}) end }) do
                if not pcall(f) then refused = refused + 1 end
              end
              Shared = 'changed'
              seen.vandal, count = true, count + 1
              return true, "refused " .. refused end },
          { name = 'victim', depends_on = 'vandal', command = function()
              return true, string.format('%s/%s/%s/%s/%s/%d', ('x'):upper(), tostring(Leaked), type(fs.read),
                tostring(Shared), tostring(seen.vandal), count) end },
        } } }""", b -> b.concurrency(1));
        assertThat(r.task(id("g.vandal")).message()).isEqualTo("refused 5");
        assertThat(r.task(id("g.victim")).message()).isEqualTo("X/nil/function/nil/nil/0");
    }

    @Test
    void aLuaTaskGetsItsWorkingDirectoryWhenItFirstNeedsIt() throws Exception {
        needsSharedDirectory();
        RunResult r = run("""
        TaskDefinitions = { g = { tasks = {
          { name = 'writes', workdir = 'w/one', command = function() fs.write('f.txt', 'x'); return true end },
          { name = 'execs', workdir = 'w/two', command = function()
              local out = exec.run({ 'pwd' }); return true, (out:gsub('%s+$', '')) end },
          { name = 'pure', workdir = 'w/three', command = function() return true end },
        } } }""");
        assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(dir.resolve("w/one/f.txt")).exists();
        assertThat(r.task(id("g.execs")).message())
                .isEqualTo(dir.resolve("w/two").toRealPath().toString());
        assertThat(dir.resolve("w/three")).doesNotExist();
    }

    @Test
    void aLuaErrorFailsTheTaskNamingFileAndLine() throws Exception {
        RunResult r = run("""
        TaskDefinitions = { g = { tasks = {
          { name = 't', command = function(params)
              local x = nil
              return x.field
            end },
        } } }""");
        assertThat(r.task(id("g.t")).state()).isEqualTo(TaskState.FAILED);
        assertThat(r.task(id("g.t")).message()).startsWith("flow.lua:4: ");
    }

    @Test
    void logLinesOfShellAndLuaTasksReachTheListener() throws Exception {
        run("""
        TaskDefinitions = { g = { tasks = {
          { name = 'sh', command = 'echo out; echo err >&2' },
          { name = 'lua', command = function() log.info('from', 'lua'); print('printed'); return true end },
        } } }""");
        assertThat(recorder.logs).contains("g.sh | out", "g.sh | err", "g.lua | [info] from lua", "g.lua | printed");
    }

    @Test
    void secretsAreMaskedInLogsAndMessages() throws Exception {
        RunResult r = run("""
        TaskDefinitions = { g = { tasks = {
          { name = 't', command = 'echo "token is $DROVER_PARAM_API_TOKEN"; exit 1' },
        } } }""", b -> b.param("api_token", "s3cr3t-value"));
        assertThat(recorder.logs).contains("g.t | token is ***");
        assertThat(String.join("\n", recorder.logs)).doesNotContain("s3cr3t-value");
        assertThat(r.task(id("g.t")).message()).isEqualTo("exit code 1: token is ***");
    }
}
