package io.drover.core.dsl;

import static io.drover.core.TestWorkflows.load;
import static io.drover.core.TestWorkflows.loadError;
import static org.assertj.core.api.Assertions.assertThat;

import io.drover.core.TestWorkflows;
import io.drover.core.lua.LuaInterpreter;
import io.drover.core.model.Backoff;
import io.drover.core.model.Command;
import io.drover.core.model.Delegation;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.model.Workflow;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class WorkflowLoaderTest {
    private static final String ISSUE_EXAMPLE = """
      TaskDefinitions = {
        build = {
          description = "Build and package",
          tasks = {
            { name = "version", command = function(params) return true, "resolved", { v = params.release } end },
            { name = "compile", depends_on = "version",
              command = function(params, deps) fs.write("VERSION", deps.version.v); return true, "ok" end },
            { name = "package", depends_on = { "compile" }, retries = 2, timeout = "5m",
              command = "tar czf app.tgz VERSION && echo artifact=app.tgz >> \\"$DROVER_OUTPUT\\"" },
          },
        },
        deploy = { tasks = { { name = "ship", depends_on = "build.package", command = "echo shipping" } } },
      }
      """;

    @Test
    void readsGroupsAndTasksInTheOrderWritten() {
        Workflow wf = load(ISSUE_EXAMPLE).workflow();
        assertThat(wf.groups()).extracting(g -> g.name()).containsExactly("build", "deploy");
        assertThat(wf.tasks().keySet())
                .extracting(TaskId::toString)
                .containsExactly("build.version", "build.compile", "build.package", "deploy.ship");
        TaskSpec pkg = wf.task(TaskId.parse("build.package"));
        assertThat(pkg.retries()).isEqualTo(2);
        assertThat(pkg.timeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(pkg.dependsOn()).containsExactly(TaskId.parse("build.compile"));
        assertThat(pkg.command()).isInstanceOf(Command.Shell.class);
        assertThat(pkg.location().toString()).isEqualTo("flow.lua:8");
        assertThat(wf.task(TaskId.parse("build.version")).command())
                .isEqualTo(new Command.LuaFunction("build", 1, "command"));
        assertThat(wf.task(TaskId.parse("deploy.ship")).dependsOn()).containsExactly(TaskId.parse("build.package"));
        assertThat(wf.groups().get(0).description()).isEqualTo("Build and package");
    }

    @Test
    void aDependencyNamedTwiceOrByBothTheGroupAndTheTaskIsListedOnceInTheOrderFirstWritten() {
        Workflow wf = load("""
        TaskDefinitions = {
          a = { tasks = { { name = "one", command = "true" }, { name = "two", command = "true" } } },
          b = { depends_on = "a.one", tasks = {
            { name = "x", depends_on = { "a.two", "a.one", "a.two", "y" }, command = "true" },
            { name = "y", command = "true" } } },
        }
        """).workflow();
        assertThat(wf.task(TaskId.parse("b.x")).dependsOn())
                .extracting(TaskId::toString)
                .containsExactly("a.one", "a.two", "b.y");
    }

    @Test
    void groupFieldsAreDefaultsForItsTasks() {
        Workflow wf = load("""
        TaskDefinitions = { g = {
          retries = 3, timeout = "10s", workdir = "w", queue = "q", params = { a = 1, b = 2 }, env = { X = "1" },
          tags = { gpu = "yes" }, delegate_to = "box", backoff = "2s",
          tasks = {
            { name = "t1", command = "true" },
            { name = "t2", command = "true", retries = 0, params = { b = 3 }, env = { Y = "2" }, delegate_to = false },
          } } }""").workflow();
        TaskSpec t1 = wf.task(TaskId.parse("g.t1"));
        assertThat(t1.retries()).isEqualTo(3);
        assertThat(t1.timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(t1.workdir()).isEqualTo("w");
        assertThat(t1.queue()).isEqualTo("q");
        assertThat(t1.tags()).isEqualTo(Map.of("gpu", "yes"));
        assertThat(t1.delegateTo()).isEqualTo(new Delegation(List.of(), List.of("box"), null));
        assertThat(t1.backoff().initial()).isEqualTo(Duration.ofSeconds(2));
        TaskSpec t2 = wf.task(TaskId.parse("g.t2"));
        assertThat(t2.retries()).isZero();
        assertThat(t2.params()).isEqualTo(Map.of("a", 1L, "b", 3L));
        assertThat(t2.env()).isEqualTo(Map.of("X", "1", "Y", "2"));
        assertThat(t2.delegateTo()).isEqualTo(Delegation.LOCAL);
    }

    @Test
    void parsesDelegationQueueTagsBackoffAndPluginCommands() {
        Workflow wf = load("""
        TaskDefinitions = { g = { tasks = {
          { name = "a", command = "true", delegate_to = { address = "build-box:50051", token = "t0k" } },
          { name = "b", command = "true", delegate_to = { "h1:1", "h2:2" }, tags = { "fast" } },
          { name = "c", command = { kind = "http", url = "http://x", retries = 2 },
            backoff = { initial = "1s", max = "1m", factor = 3, jitter = false } },
        } } }""").workflow();
        assertThat(wf.task(TaskId.parse("g.a")).delegateTo())
                .isEqualTo(new Delegation(List.of("build-box:50051"), List.of(), "t0k"));
        assertThat(wf.task(TaskId.parse("g.a")).delegateTo().toString()).doesNotContain("t0k");
        assertThat(wf.task(TaskId.parse("g.b")).delegateTo().addresses()).containsExactly("h1:1", "h2:2");
        assertThat(wf.task(TaskId.parse("g.b")).tags()).isEqualTo(Map.of("fast", "true"));
        assertThat(wf.task(TaskId.parse("g.c")).command())
                .isEqualTo(new Command.Plugin("http", Map.of("url", "http://x", "retries", 2L)));
        assertThat(wf.task(TaskId.parse("g.c")).backoff())
                .isEqualTo(new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(1), 3, false));
    }

    @Test
    void reportsSyntaxErrorsWithFileAndLine() {
        assertThat(loadError("TaskDefinitions = {\n  g = { tasks = { { name = 'a' command = 'x' } } }\n}"))
                .startsWith("flow.lua:2: ");
    }

    @Test
    void reportsErrorsRaisedWhileTheFileLoads() {
        assertThat(loadError("local x = nil\nlocal y = x.field\nTaskDefinitions = {}"))
                .startsWith("flow.lua:2: ");
    }

    @Test
    void requiresATaskDefinitionsTable() {
        assertThat(loadError("Tasks = {}"))
                .isEqualTo(
                        "flow.lua: no TaskDefinitions table: the file must set TaskDefinitions = { group = { tasks = { ... } } }");
        assertThat(loadError("TaskDefinitions = 5"))
                .isEqualTo("flow.lua: TaskDefinitions must be a table, not a number");
    }

    @Test
    void rejectsUnknownTaskFieldsWithASuggestion() {
        assertThat(loadError("""
        TaskDefinitions = { build = { tasks = {
          { name = "version", command = "true" },
          { name = "compile",
            depend_on = "version",
            command = "make" },
        } } }"""))
                .isEqualTo("flow.lua:4: unknown field 'depend_on' in task 'compile'; did you mean 'depends_on'?");
    }

    @Test
    void rejectsUnknownGroupFieldsWithASuggestion() {
        assertThat(loadError(
                        "TaskDefinitions = { g = {\n  taks = {},\n  tasks = { { name = 'a', command = 'x' } } } }"))
                .isEqualTo("flow.lua:2: unknown field 'taks' in group 'g'; did you mean 'tasks'?");
    }

    @Test
    void rejectsUnknownDependenciesWithASuggestion() {
        assertThat(loadError("""
        TaskDefinitions = {
          build = { tasks = { { name = "package", command = "true" } } },
          deploy = { tasks = {
            { name = "ship", command = "true" },
            { name = "deploy", depends_on = "biuld.package", command = "true" },
          } },
        }"""))
                .isEqualTo(
                        "flow.lua:5: task 'deploy.deploy' depends on unknown task 'biuld.package'; did you mean 'build.package'?");
        assertThat(
                        loadError(
                                "TaskDefinitions = { g = { tasks = {\n{ name = 'compile', command = 'x' },\n{ name = 'test', depends_on = 'compiel', command = 'x' } } } }"))
                .isEqualTo("flow.lua:3: task 'g.test' depends on unknown task 'compiel'; did you mean 'compile'?");
    }

    @Test
    void namesTheCycle() {
        assertThat(loadError("""
        TaskDefinitions = { build = { tasks = {
          { name = "a", depends_on = "b", command = "true" },
          { name = "b", depends_on = "c", command = "true" },
          { name = "c", depends_on = "a", command = "true" },
          { name = "d", command = "true" },
        } } }"""))
                .isEqualTo(
                        "flow.lua:2: dependency cycle: build.a -> build.b -> build.c -> build.a (each depends on the next)");
        assertThat(loadError(
                        "TaskDefinitions = { g = { tasks = { { name = 'a', depends_on = 'a', command = 'x' } } } }"))
                .isEqualTo("flow.lua:1: task 'g.a' depends on itself");
    }

    @Test
    void rejectsDuplicateTaskNames() {
        assertThat(
                        loadError(
                                "TaskDefinitions = { g = { tasks = {\n{ name = 'a', command = 'x' },\n{ name = 'a', command = 'y' } } } }"))
                .isEqualTo("flow.lua:3: duplicate task 'g.a' (first defined at line 2)");
    }

    @Test
    void rejectsBadDurations() {
        assertThat(
                        loadError(
                                "TaskDefinitions = { g = { tasks = {\n{ name = 'a', command = 'x',\n timeout = '5 minutes' } } } }"))
                .isEqualTo(
                        "flow.lua:3: bad duration '5 minutes': use a number and a unit, like 500ms, 90s, 1.5m, 2h or 1h30m (timeout of task 'g.a')");
        assertThat(loadError("TaskDefinitions = { g = { tasks = { { name = 'a', command = 'x', timeout = '0s' } } } }"))
                .isEqualTo("flow.lua:1: timeout of task 'g.a' must be more than zero");
        assertThat(
                        loadError(
                                "TaskDefinitions = { g = { tasks = { { name = 'a', command = 'x', backoff = { initial = '1m', max = '1s' } } } } }"))
                .contains("backoff max (1s) is below initial (1m)");
    }

    @Test
    void rejectsBadValues() {
        assertThat(loadError("TaskDefinitions = { g = { tasks = { { name = 'a', command = 'x', retries = -1 } } } }"))
                .isEqualTo("flow.lua:1: retries of task 'g.a' must be a whole number from 0 to 1000, not -1");
        assertThat(loadError("TaskDefinitions = { g = { tasks = { { name = 'a', command = 'x', retries = '2' } } } }"))
                .isEqualTo("flow.lua:1: retries of task 'g.a' must be a whole number from 0 to 1000, not '2'");
        assertThat(loadError("TaskDefinitions = { g = { tasks = { { name = 'a' } } } }"))
                .isEqualTo("flow.lua:1: task 'g.a' has no command");
        assertThat(loadError("TaskDefinitions = { g = { tasks = { { command = 'x' } } } }"))
                .isEqualTo("flow.lua:1: task 1 of group 'g' has no name");
        assertThat(loadError("TaskDefinitions = { g = { tasks = { { name = 'a b', command = 'x' } } } }"))
                .isEqualTo("flow.lua:1: bad task name 'a b' in group 'g': use letters, digits, '_' and '-'");
        assertThat(loadError("TaskDefinitions = { g = { tasks = { { name = 'a', command = 42 } } } }"))
                .isEqualTo(
                        "flow.lua:1: command of task 'g.a' must be a shell command (string) or a function, not a number");
        assertThat(loadError("TaskDefinitions = { g = { } }")).isEqualTo("flow.lua: group 'g' has no tasks list");
        assertThat(loadError("TaskDefinitions = { g = { tasks = { { name = 'a', command = 'x', depends_on = 5 } } } }"))
                .isEqualTo("flow.lua:1: depends_on of task 'g.a' must be a task name or a list of them, not a number");
    }

    @Test
    void findsTheFunctionsAgainInAFreshInterpreter() {
        WorkflowLoader.Loaded loaded = load(ISSUE_EXAMPLE);
        var in = new LuaInterpreter(loaded.workflow().source());
        assertThat(in.function(new Command.LuaFunction("build", 2, "command"))).isNotNull();
    }

    @Test
    void errorLinesCountNewlinesInLongStringsCommentsAndEscapes() {
        assertThat(loadError("""
        --[==[ a comment
        over two lines ]==]
        local doc = [[
        a long string ]] local esc = "one\\
        two\\z
           three"
        TaskDefinitions = { g = { tasks = {
          { name = "a", command = "true" },
          { name = "b", command = "true", depend_on = "a" },
        } } }
        """)).startsWith("flow.lua:9: unknown field 'depend_on' in task 'b'");
    }

    @Test
    void errorLinesSkipTablesInsideFunctionsAndCalls() {
        assertThat(loadError("""
        local function mk(t) return t end
        TaskDefinitions = {
          g = { tasks = {
            { name = "a", command = function() local x, y = { 1 }, { tasks = 2 }; return true end },
            mk({ name = "b", command = "true" }),
            { name = "c", command = "true", timeout = "soon" },
          } },
        }
        """)).startsWith("flow.lua:6: bad duration 'soon'");
    }

    @Test
    @Timeout(60)
    void aStringLiteralOfManyMegabytesLoadsInTimeLinearInItsLength() {
        String big = "x".repeat(24 << 20);
        Workflow wf = load("local s = '" + big
                        + "'\nTaskDefinitions = { g = { tasks = {\n { name = 'a', command = 'true' } } } }")
                .workflow();
        assertThat(wf.task(TaskId.parse("g.a")).location().toString()).isEqualTo("flow.lua:3");
    }

    @Test
    void aFileOverTheSizeLimitIsRefusedBeforeItIsCompiled() {
        String text = "-- " + "x".repeat(LuaInterpreter.MAX_SOURCE_CHARS);
        assertThat(loadError(text))
                .isEqualTo("flow.lua: the file has " + text.length()
                        + " characters, over Drover's limit of 33554432 for a workflow file");
    }

    @Test
    void aTopLevelThatAllocatesWithoutEndIsStoppedByItsMemoryBudget() throws Exception {
        String bomb = "local t = {}; local i = 0; while true do i = i + 1; t[i % 1000 + 1] = { i, i, i } end";
        String expected =
                "flow.lua:1: stopped: the file's top level allocated more than 1024 MiB while it was evaluated";
        assertThat(loadError(bomb)).startsWith(expected);
        // asked for on a virtual thread (a worker's attempt), the evaluation runs where its allocations are counted
        String[] fromVirtual = new String[1];
        Thread.ofVirtual().start(() -> fromVirtual[0] = loadError(bomb)).join();
        assertThat(fromVirtual[0]).startsWith(expected);
    }

    @Test
    void artifactsAreAPatternOrAListOfThemOnATaskOrItsGroupAndABadOneIsRefusedWithItsLine() {
        var wf = TestWorkflows.load("""
                TaskDefinitions = { build = { artifacts = "dist/", tasks = {
                  { name = "a", command = "true" },
                  { name = "b", command = "true", artifacts = { "out/*.tgz", "**/*.jar" } },
                } } }""").workflow();
        assertThat(wf.task(TaskId.parse("build.a")).artifacts()).containsExactly("dist/");
        assertThat(wf.task(TaskId.parse("build.b")).artifacts()).containsExactly("out/*.tgz", "**/*.jar");
        assertThat(loadError("""
                TaskDefinitions = { g = { tasks = {
                  { name = "a", command = "true",
                    artifacts = { "../up" } },
                } } }"""))
                .isEqualTo("flow.lua:3: bad artifact pattern '../up' of task 'g.a': a path pattern inside the workspace"
                        + " (dist/*.tgz, out/, **/*.jar)");
        assertThat(loadError(
                        "TaskDefinitions = { g = { tasks = { { name = 'a', command = 'true', artifacts = true } } } }"))
                .isEqualTo("flow.lua:1: artifacts of task 'g.a' must be a string or a list of strings");
    }
}
