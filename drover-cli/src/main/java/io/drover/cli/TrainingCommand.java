package io.drover.cli;

import io.drover.core.lua.Json;
import io.drover.core.record.RunJson;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * The training run behind the launcher's start-up cache ({@code -XX:AOTCacheOutput}): the paths short commands
 * take (parsing, help, loading and planning a workflow, a Redis client that connects) run once in this process,
 * so the JVM records the classes they load, linked, for every later start. Output goes nowhere; nothing is kept.
 */
@Command(name = "aot-training", hidden = true, description = "Run the launcher's start-up training (internal).")
final class TrainingCommand implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("drover-training");
        try {
            Path flow = Files.writeString(dir.resolve("flow.lua"), """
          TaskDefinitions = { build = { tasks = {
            { name = "a", command = "true" },
            { name = "b", depends_on = "a", command = function(params, deps) return true, "ok", { n = 1 } end },
          } } }
          """);
            // JSON both ways, as status and list commands read records and print them
            Object parsed = Json.read("{\"command\": \"true\", \"tags\": {\"a\": \"b\"}, \"n\": [1, 2.5]}");
            RunJson.write(parsed, false);
            String nowhere =
                    "redis://127.0.0.1:1"; // refused at once: the client, its codecs and Netty load all the same
            for (List<String> args : List.of(
                    List.of("--version"),
                    List.of("--help"),
                    List.of("task", "submit", "--help"),
                    List.of("validate", flow.toString()),
                    List.of("plan", flow.toString()),
                    List.of("task", "status", "x", "--redis-url", nowhere),
                    List.of("task", "list", "--redis-url", nowhere))) {
                PrintWriter quiet = new PrintWriter(Writer.nullWriter());
                Main.execute(args.toArray(String[]::new), quiet, quiet);
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return Main.OK;
    }
}
