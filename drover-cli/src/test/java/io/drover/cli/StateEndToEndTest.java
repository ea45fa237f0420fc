package io.drover.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.drover.cluster.RedisExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state store from the command line, as processes on loopback: one workflow counting from tasks run here, on an
 * agent and on two workers into one store ends with the exact count; what the store refuses, said in one line.
 */
class StateEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "state-e2e-token";

    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    @TempDir
    Path dir;

    private Processes processes;

    @BeforeEach
    void processes() {
        processes = new Processes(dir);
    }

    @AfterEach
    void stopAll() throws Exception {
        processes.stopAll();
        redis.commands().flushall();
    }

    /** Five tasks here (or on the fleet's workers) and five on the agent, each adding 1 twenty times. */
    private static String counting(String agent) {
        StringBuilder f = new StringBuilder("TaskDefinitions = {\n");
        for (String group : new String[] {"here", "remote"}) {
            f.append("  ").append(group).append(" = {\n");
            if (group.equals("remote"))
                f.append("    delegate_to = { address = \"")
                        .append(agent)
                        .append("\", token = \"")
                        .append(TOKEN)
                        .append("\" },\n");
            f.append("    tasks = {\n");
            for (int i = 1; i <= 5; i++)
                f.append("      { name = \"t")
                        .append(i)
                        .append("\", command = function()")
                        .append(" local st = state.scope(\"workflow\")")
                        .append(" for i = 1, 20 do st:incr(\"count\") end")
                        .append(" st:append(\"who\", env.get(\"DROVER_TASK\")) return true end },\n");
            f.append("    },\n  },\n");
        }
        return f.append("}\n").toString();
    }

    @Test
    void aCounterIncrementedFromTasksHereOnAnAgentAndOnTwoWorkersEndsWithTheExactCount() throws Exception {
        String agent = processes.agent(TOKEN, "--state-url", redis.url());
        processes.worker("w1", redis.url()); // the fleet's Redis is the workers' store by default
        processes.worker("w2", redis.url());
        Files.writeString(dir.resolve("count.lua"), counting(agent));

        var here = DroverProcess.run(dir, "run", "count.lua", "--state-url", redis.url());
        assertThat(here.exit()).as(here.out() + here.err()).isZero();
        var fleet = DroverProcess.run(dir, "run", "count.lua", "--redis-url", redis.url(), "--json");
        assertThat(fleet.exit()).as(fleet.out() + fleet.err()).isZero();
        Set<String> workers = new HashSet<>();
        for (JsonNode t : JSON.readTree(fleet.out()).get("tasks"))
            if (t.get("group").asText().equals("here"))
                workers.add(t.path("worker").asText());
        assertThat(workers)
                .as("the fleet's tasks ran on the workers")
                .isNotEmpty()
                .isSubsetOf("w1", "w2");

        var count = DroverProcess.run(
                dir, "state", "get", "count", "--scope", "workflow:count", "--state-url", redis.url());
        assertThat(count.out().strip()).as(count.err()).isEqualTo("400");
        var who = DroverProcess.run(
                dir, "state", "range", "who", "--scope", "workflow:count", "--state-url", redis.url());
        assertThat(who.out().lines()).hasSize(20);
    }

    @Test
    void aWorkerRefusesASqliteFileAndRunOnTheFleetRefusesAStoreOfItsOwnEachInOneLine() throws Exception {
        var worker = DroverProcess.run(dir, "worker", "--redis-url", redis.url(), "--state-url", "sqlite:state.db");
        assertThat(worker.exit()).isEqualTo(2);
        assertThat(worker.err().strip())
                .startsWith("drover: --state-url: sqlite:state.db is a file of this machine")
                .contains("--state-url, $DROVER_STATE_URL or [state] url")
                .doesNotContain("\n")
                .doesNotContain("Exception");
        var env = DroverProcess.run(
                dir, java.util.Map.of("DROVER_STATE_URL", "sqlite:x.db"), "worker", "--redis-url", redis.url());
        assertThat(env.exit()).isEqualTo(2);
        assertThat(env.err()).contains("$DROVER_STATE_URL: sqlite:x.db is a file of this machine");

        Files.writeString(
                dir.resolve("flow.lua"),
                "TaskDefinitions = { g = { tasks = { { name = \"t\", command = \"true\" } } } }");
        var run = DroverProcess.run(
                dir, "run", "flow.lua", "--redis-url", redis.url(), "--state-url", "postgres://u:pw@127.0.0.1/x");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err())
                .contains("--state-url: on the fleet the workers run the tasks")
                .doesNotContain("pw@");
        var bad = DroverProcess.run(dir, "run", "flow.lua", "--state-url", "mysql://root:hunter2@db/x");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err().strip())
                .isEqualTo("drover: --state-url: bad state store URL 'mysql://root:***@db/x': use sqlite:PATH,"
                        + " postgres://USER@HOST:PORT/DATABASE or redis://HOST:PORT");
    }

    @Test
    void doctorChecksTheStateStoreAndNamesOneThatDoesNotAnswerWithItsPasswordMasked() throws Exception {
        var ok = DroverProcess.run(dir, "doctor", "--state-url", redis.url());
        assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
        assertThat(ok.out()).containsPattern("ok +state +redis://127.0.0.1:[0-9]+ \\(from --state-url\\) answers");
        var down = DroverProcess.run(dir, "doctor", "--state-url", "postgres://drover:s3cret@127.0.0.1:1/x");
        assertThat(down.exit()).isEqualTo(1);
        assertThat(down.out())
                .containsPattern("FAIL +state +state store postgres://drover:\\*\\*\\*@127.0.0.1:1/x: ")
                .doesNotContain("s3cret");
        var none = DroverProcess.run(dir, "doctor");
        assertThat(none.out()).contains("no store configured: tasks run here use sqlite:.drover/state.db");
        assertThat(dir.resolve(".drover/state.db")).doesNotExist();
    }

    @Test
    void anOperatorReadsAndChangesStateOnTheDefaultSqliteFile() throws Exception {
        Files.writeString(dir.resolve("deploy.lua"), """
                TaskDefinitions = { deploy = { tasks = { { name = "ship", command = function(params)
                  local st = state.scope("workflow")
                  local last = st:get("last_version")
                  st:set("last_version", params.version)
                  return true, "from " .. tostring(last) .. " to " .. params.version
                end } } } }
                """);
        var first = DroverProcess.run(dir, "run", "deploy.lua", "--param", "version=1.4");
        assertThat(first.out()).contains("from nil to 1.4");
        assertThat(dir.resolve(".drover/state.db")).exists();
        var get = DroverProcess.run(dir, "state", "get", "last_version", "--scope", "workflow:deploy");
        assertThat(get.out().strip()).isEqualTo("\"1.4\"");
        var set = DroverProcess.run(dir, "state", "set", "last_version", "1.3", "--scope", "workflow:deploy");
        assertThat(set.exit()).isZero();
        var second = DroverProcess.run(dir, "run", "deploy.lua", "--param", "version=1.5");
        assertThat(second.out()).contains("from 1.3 to 1.5");
        var keys = DroverProcess.run(dir, "state", "keys", "--scope", "workflow:deploy");
        assertThat(keys.out().strip()).isEqualTo("last_version");
        var absent = DroverProcess.run(dir, "state", "get", "nothing", "--scope", "workflow:deploy");
        assertThat(absent.exit()).isEqualTo(1);
        var badScope = DroverProcess.run(dir, "state", "keys", "--scope", "team-a");
        assertThat(badScope.exit()).isEqualTo(2);
        assertThat(badScope.err()).contains("--scope: 'team-a' is none of");
        var notInt = DroverProcess.run(dir, "state", "incr", "last_version", "--scope", "workflow:deploy");
        assertThat(notInt.exit()).isEqualTo(2);
        assertThat(notInt.err().strip())
                .isEqualTo("drover: state: key 'last_version' holds \"1.5\", not an integer to increment");
    }
}
