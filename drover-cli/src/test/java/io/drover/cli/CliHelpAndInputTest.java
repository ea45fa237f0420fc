package io.drover.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command model as an operator meets it: help at every level, and input refused before anything runs. */
class CliHelpAndInputTest {
    @TempDir
    Path dir;

    record Result(int exit, String out, String err) {}

    static Result drover(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    /** Every command's path below drover: [run], [task, submit], ... */
    static List<List<String>> commands() {
        CommandLine root = Main.commandLine();
        List<List<String>> out = new ArrayList<>();
        for (CommandLine c : HelpCommands.all(root)) {
            List<String> path = new ArrayList<>();
            for (CommandLine.Model.CommandSpec s = c.getCommandSpec(); s.parent() != null; s = s.parent())
                path.add(0, s.name());
            out.add(path);
        }
        return out;
    }

    @Test
    void everyCommandAnswersHelpAndDashHAndHelpCommandWithItsOwnUsage() {
        List<List<String>> all = commands();
        assertThat(all)
                .contains(
                        List.of("task", "submit"),
                        List.of("node", "logs"),
                        List.of("runs", "list"),
                        List.of("worker", "list"));
        for (List<String> path : all) {
            String usage = "Usage: " + String.join(" ", List.of("drover"))
                    + (path.isEmpty() ? "" : " " + String.join(" ", path));
            for (String flag : List.of("--help", "-h")) {
                List<String> args = new ArrayList<>(path);
                args.add(flag);
                Result r = drover(args.toArray(String[]::new));
                assertThat(r.exit()).as(args + ": " + r.err()).isZero();
                assertThat(r.out()).as(args.toString()).startsWith(usage + " ");
            }
            List<String> viaHelp = new ArrayList<>(List.of("help"));
            viaHelp.addAll(path);
            Result r = drover(viaHelp.toArray(String[]::new));
            assertThat(r.exit()).as(viaHelp.toString()).isZero();
            assertThat(r.out()).as(viaHelp.toString()).startsWith(usage + " ");
        }
    }

    @Test
    void aMistypedCommandGetsASuggestionThoughOnlyNamedCommandsAreBuilt() {
        Result r = drover("--verbose", "rnu", "flow.lua");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err())
                .startsWith("drover: Unmatched arguments from index 1: 'rnu', 'flow.lua'; did you mean 'run'?");
        assertThat(drover("--version").out()).startsWith("drover ");
        assertThat(drover("--verbose", "task", "--help").out()).contains("submit", "status", "list", "logs", "cancel");
    }

    @Test
    void theCommandListShowsEachSummaryAsAWholeSentence() {
        for (CommandLine c : HelpCommands.all(Main.commandLine())) {
            String[] d = c.getCommandSpec().usageMessage().description();
            assertThat(d).as(c.getCommandSpec().qualifiedName()).isNotEmpty();
            assertThat(d[0].strip()).as(c.getCommandSpec().qualifiedName()).endsWith(".");
        }
    }

    @Test
    void helpForAnUnknownSubcommandIsOneLineWithASuggestion() {
        Result r = drover("help", "task", "sumbit");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip())
                .isEqualTo(
                        "drover: 'drover task' has no command 'sumbit'; did you mean 'submit'? (see 'drover task --help')");
    }

    @Test
    void completionAndManPagesAreGeneratedFromTheCommandModel() throws Exception {
        Result bash = drover("completion", "bash");
        assertThat(bash.exit()).isZero();
        assertThat(bash.out())
                .contains("complete -F")
                .contains("--idempotency-key")
                .contains("submit");
        Result zsh = drover("completion", "zsh");
        assertThat(zsh.out()).startsWith("autoload -U +X compinit && compinit").contains("bashcompinit");
        Result man = drover("man", "task", "submit");
        assertThat(man.out())
                .startsWith(".TH DROVER-TASK-SUBMIT 1")
                .contains("\\fB\\-\\-idempotency\\-key\\fR=\\fIKEY\\fR");
        Path pages = dir.resolve("man1");
        assertThat(drover("man", "--dir", pages.toString()).exit()).isZero();
        try (var files = Files.list(pages)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList())
                    .hasSize(commands().size())
                    .contains("drover.1", "drover-task-submit.1", "drover-node-logs.1");
        }
        assertThat(drover("completion", "fish").err().strip())
                .isEqualTo("drover: completion is for bash or zsh, not 'fish'");
    }

    @Test
    void aNameWithANewlineGivesOneLineWithTheNewlineShown() throws Exception {
        Path f = dir.resolve("flow.lua");
        Files.writeString(f, "TaskDefinitions = { g = { tasks = { { name = 'a\\nb', command = 'true' } } } }\n");
        Result r = drover("validate", f.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).endsWith("\n").doesNotContain("\nb").contains("bad task name 'a\\x0ab'");
        assertThat(r.err().strip().lines()).hasSize(1);
    }

    @Test
    void aTaskForTheFleetWhoseWorkdirLeavesTheRunsWorkspaceIsRefusedWithItsLineBeforeAnythingIsSent() throws Exception {
        Path f = dir.resolve("flow.lua");
        Files.writeString(f, """
                TaskDefinitions = { g = { tasks = {
                  { name = 'a', command = 'true', workdir = 'build/app' },
                  { name = 'b', command = 'true', workdir = '../elsewhere' },
                } } }
                """);
        Result fleet = drover("validate", "--fleet", f.toString());
        assertThat(fleet.exit()).isEqualTo(2);
        assertThat(fleet.err().strip())
                .isEqualTo("drover: " + f + ":3: workdir '../elsewhere' of task 'g.b' is outside the run's workspace:"
                        + " on the fleet a task works inside it (a relative path without ..)");
        // here it is a directory like any other
        assertThat(drover("validate", f.toString()).exit()).isZero();
        Files.writeString(
                f, "TaskDefinitions = { g = { tasks = { { name = 'a', command = 'true', workdir = '/srv' } } } }\n");
        Result submit = drover("submit", f.toString(), "--redis-url", "redis://127.0.0.1:1");
        assertThat(submit.exit()).isEqualTo(2);
        assertThat(submit.err()).contains("workdir '/srv' of task 'g.a' is outside the run's workspace");
    }

    @Test
    void validateRefusesWhatRunRefuses() throws Exception {
        Path f = dir.resolve("flow.lua");
        Files.writeString(
                f,
                "TaskDefinitions = { g = { tasks = { { name = 'a', command = 'true', delegate_to = 'nosuch' } } } }\n");
        Result agent = drover(
                "validate",
                "--config",
                Files.writeString(dir.resolve("drover.toml"), "").toString(),
                f.toString());
        assertThat(agent.exit()).isEqualTo(2);
        assertThat(agent.err()).contains("flow.lua:1: task 'g.a': unknown agent 'nosuch'");
        Path toml = Files.writeString(
                dir.resolve("agents.toml"), "[agents.nosuch]\naddress = \"h:1\"\nsend_config = \"yes\"\n");
        Result send = drover("validate", "--config", toml.toString(), f.toString());
        assertThat(send.exit()).isEqualTo(2);
        assertThat(send.err().strip())
                .isEqualTo("drover: " + toml + ": send_config in [agents.nosuch] must be true or false, not \"yes\"");
        Files.writeString(toml, "[agents.nosuch]\naddress = \"h:1\"\nsend_config = true\n");
        assertThat(drover("validate", "--config", toml.toString(), f.toString()).exit())
                .isZero();
        Files.writeString(
                f, "TaskDefinitions = { g = { tasks = { { name = 'a', command = 'true', queue = 'no queue' } } } }\n");
        assertThat(drover("validate", f.toString()).err())
                .contains("flow.lua:1: bad queue name 'no queue' of task 'g.a'");
        Files.writeString(
                f, "TaskDefinitions = { g = { tasks = { { name = 'a', command = { kind = 'nosuchkind' } } } } }\n");
        Result kind = drover("validate", f.toString());
        assertThat(kind.exit()).isEqualTo(2);
        assertThat(kind.err()).contains("flow.lua:1: task 'g.a': unknown task kind 'nosuchkind'");
        assertThat(drover("validate", "--fleet", f.toString()).exit()).isZero();
        assertThat(drover("run", f.toString()).err()).isEqualTo(kind.err());
    }

    @Test
    void inputIsCheckedBeforeAnythingRunsWithExitTwoAndOneLine() throws Exception {
        String nowhere = "redis://127.0.0.1:1";
        assertOneLine(
                drover("worker", "--redis-url", nowhere, "--log-format", "xml"),
                "drover: --log-format: must be plain or json, not 'xml'");
        assertOneLine(
                drover("controller", "--redis-url", nowhere, "--log-level", "loud"),
                "drover: --log-level: must be error, warn, info or debug, not 'loud'");
        assertOneLine(
                drover("task", "list", "--redis-url", nowhere, "--status", "bogus"),
                "drover: --status must be one of pending, running, retrying, succeeded, failed, cancelled, dead, not 'bogus'");
        assertOneLine(
                drover(
                        "task",
                        "submit",
                        "--redis-url",
                        nowhere,
                        "--from",
                        dir.resolve("nosuch.jsonl").toString()),
                "drover: --from: no such file: " + dir.resolve("nosuch.jsonl"));
        Path lines = Files.writeString(dir.resolve("t.jsonl"), "{\"command\": \"true\", \"retrys\": 2}\n");
        assertOneLine(
                drover("task", "submit", "--redis-url", nowhere, "--from", lines.toString()),
                "drover: " + lines + ":1: unknown field 'retrys'; did you mean 'retries'?");
        assertOneLine(
                drover("task", "list", "--redis-url", "127.0.0.1:6500"),
                "drover: bad Redis URL '127.0.0.1:6500': it has no scheme: write redis://127.0.0.1:6500");
        assertOneLine(
                drover("task", "list", "--redis-url", "http://127.0.0.1:6500"),
                "drover: bad Redis URL 'http://127.0.0.1:6500': the scheme must be redis, rediss, redis-sentinel, rediss-sentinel,"
                        + " redis-cluster, rediss-cluster, not 'http'");
        Path toml = Files.writeString(dir.resolve("drover.toml"), """
                [bus]
                backend = "kafka"
                redis_url = "redis://127.0.0.1:1"
                [worker]
                concurrency = "eight"
                """);
        assertOneLine(
                drover("node", "start", "--config", toml.toString(), "--role", "worker"),
                "drover: " + toml + ": backend in [bus] must be \"redis\" (the only bus Drover has), not \"kafka\"");
        Files.writeString(
                toml,
                "[bus]\nbackend = \"redis\"\nredis_url = \"redis://127.0.0.1:1\"\n[worker]\nconcurrency = \"eight\"\n");
        assertOneLine(
                drover("node", "start", "--config", toml.toString(), "--role", "worker"),
                "drover: concurrency in [worker] of " + toml + " must be a whole number from 1 to 100000, not 'eight'");
    }

    @Test
    void aLuaMemoryLimitThatIsNoSizeIsRefusedBeforeAnythingRuns() throws Exception {
        Path flow = Files.writeString(
                dir.resolve("flow.lua"),
                "TaskDefinitions = { g = { tasks = { { name = \"t\"," + " command = \"touch ran\" } } } }");
        var r = DroverProcess.run(dir, Map.of("DROVER_LUA_MEMORY", "lots"), "run", flow.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip())
                .isEqualTo("drover: DROVER_LUA_MEMORY must be a positive number of bytes (a k, m or g"
                        + " suffix may follow), not 'lots'");
        assertThat(dir.resolve("ran")).doesNotExist();
        assertThat(DroverProcess.run(dir, Map.of("DROVER_LUA_MEMORY", "64m"), "run", flow.toString())
                        .exit())
                .isZero();
    }

    @Test
    void aControllerThatCannotBeReachedIsReportedWithTheCauseInWords() {
        Result r = drover("node", "status", "--controller-url", "http://127.0.0.1:1");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip())
                .isEqualTo("drover: cannot reach the controller at http://127.0.0.1:1: connection refused");
    }

    @picocli.CommandLine.Command(name = "probe")
    static final class Probe {
        @picocli.CommandLine.Mixin
        RedisOption redis;
    }

    @Test
    void theDefaultRedisIsSaidOnTheFirstLineWhenNothingChoseOne() {
        Assumptions.assumeTrue(System.getenv("DROVER_REDIS_URL") == null, "DROVER_REDIS_URL chooses one here");
        Probe probe = new Probe();
        CommandLine cl = new CommandLine(probe);
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.parseArgs(); // no connection is made: only the choice is looked at
        assertThat(probe.redis.url()).isEqualTo("redis://127.0.0.1:6379");
        assertThat(probe.redis.url()).isEqualTo("redis://127.0.0.1:6379"); // said once, however often it is asked
        assertThat(err.toString())
                .isEqualTo("drover: using Redis at redis://127.0.0.1:6379 (the default: --redis-url or"
                        + " $DROVER_REDIS_URL to choose)\n");
        cl.parseArgs("--redis-url", "redis://127.0.0.1:1");
        err.getBuffer().setLength(0);
        assertThat(probe.redis.url()).isEqualTo("redis://127.0.0.1:1");
        assertThat(err.toString()).isEmpty();
    }

    private static void assertOneLine(Result r, String line) {
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo(line);
    }
}
