package io.drover.cli;

import io.drover.cluster.queue.Client;
import io.drover.core.model.Durations;
import io.drover.core.record.RunJson;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code drover queue list}: the fleet's queues as an operator sizes them. */
@Command(
        name = "queue",
        description = "The fleet's queues: drover queue list.",
        subcommands = QueueCommand.ListQueues.class)
final class QueueCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return Main.OK;
    }

    @Command(
            name = "list",
            description =
                    "Every queue tasks were submitted to: tasks waiting and running, the oldest waiting one, the workers serving it.")
    static final class ListQueues implements Callable<Integer> {
        @Mixin
        RedisOption redis;

        @Option(names = "--json", description = "One JSON array.")
        boolean json;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            try (Client c = Client.connect(redis.url())) {
                Map<String, Integer> serving = new LinkedHashMap<>();
                for (Map<String, String> w : c.workers().list()) {
                    String status = w.getOrDefault("status", "");
                    if (status.equals("running") || status.equals("draining"))
                        serving.merge(w.getOrDefault("queue", "default"), 1, Integer::sum);
                }
                Set<String> queues = new TreeSet<>(c.queues());
                queues.addAll(serving.keySet());
                List<Map<String, Object>> rows = new ArrayList<>();
                for (String q : queues) {
                    Client.Backlog b = c.backlog(q);
                    Instant oldest = c.oldestWaiting(q);
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("queue", q);
                    r.put("waiting", b.waiting());
                    r.put("running", b.running());
                    r.put("oldest_waiting_since", oldest == null ? null : oldest.toString());
                    r.put("workers", serving.getOrDefault(q, 0));
                    rows.add(r);
                }
                PrintWriter out = spec.commandLine().getOut();
                if (json) {
                    out.println(RunJson.write(rows, false));
                    return Main.OK;
                }
                List<List<String>> cells = new ArrayList<>();
                for (Map<String, Object> r : rows) {
                    Object since = r.get("oldest_waiting_since");
                    String age = since == null
                            ? ""
                            : Durations.format(Duration.ofSeconds(
                                            Duration.between(Instant.parse((String) since), Instant.now())
                                                    .toSeconds()))
                                    + " ago";
                    cells.add(List.of(
                            (String) r.get("queue"),
                            r.get("waiting").toString(),
                            r.get("running").toString(),
                            age,
                            r.get("workers").toString()));
                }
                out.print(Format.table(List.of("QUEUE", "WAITING", "RUNNING", "OLDEST WAITING", "WORKERS"), cells));
                return Main.OK;
            }
        }
    }
}
