package io.drover.cli;

import io.drover.agent.client.AgentClient;
import io.drover.agent.client.AgentDirectory;
import io.drover.agent.client.AgentTarget;
import io.drover.agent.wire.InfoReply;
import io.drover.core.model.Delegation;
import io.drover.core.record.RunJson;
import io.grpc.StatusRuntimeException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code drover agents}: each known agent's name, address, version, load and whether it answers. */
@Command(
        name = "agents",
        description = {
            "Show the agents in drover.toml [agents], or only those given by --address: name, version, load, reachability.",
            "Exit code 1 when one does not answer."
        })
final class AgentsCommand implements Callable<Integer> {
    @Option(
            names = "--address",
            paramLabel = "HOST:PORT",
            description = "An agent by address (repeatable); token from --token or $DROVER_AGENT_TOKEN.")
    List<String> addresses = new ArrayList<>();

    @Option(names = "--token", description = "Token for agents given by --address. Default: $DROVER_AGENT_TOKEN.")
    String token;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "drover.toml. Default: $DROVER_CONFIG or ./drover.toml.")
    Path config;

    @Option(names = "--json", description = "One JSON array.")
    boolean json;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        AgentDirectory dir = Config.find(config, null).agents();
        // --address names the agents to show: drover.toml's list is shown only without it
        List<AgentTarget> targets = new ArrayList<>(
                addresses.isEmpty()
                        ? dir.all().values().stream()
                                .map(t -> t.token() == null ? t.withToken(dir.defaultToken()) : t)
                                .toList()
                        : List.of());
        if (!addresses.isEmpty()) {
            try {
                targets.addAll(dir.resolve(new Delegation(addresses, List.of(), token)));
            } catch (IllegalArgumentException e) {
                throw new Main.UserException(e.getMessage());
            }
        }
        if (targets.isEmpty())
            throw new Main.UserException(
                    "no agents: add [agents.NAME] with address = \"host:port\" to drover.toml, or give --address");
        List<Map<String, Object>> rows = new ArrayList<>();
        boolean allUp = true;
        for (AgentTarget t : targets) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", t.name());
            row.put("address", t.address());
            try (AgentClient c = new AgentClient(t)) {
                try {
                    InfoReply r = c.info(5, TimeUnit.SECONDS);
                    row.put("reachable", true);
                    row.put("agent_name", r.getName());
                    row.put("version", r.getVersion());
                    row.put("running", r.getRunning());
                    row.put("max_tasks", r.getMaxTasks());
                    row.put("load_average", r.getLoadAverage());
                    row.put("cpus", r.getCpus());
                } catch (StatusRuntimeException e) {
                    allUp = false;
                    row.put("reachable", false);
                    row.put("error", c.describe(e));
                }
            } catch (IllegalArgumentException | UncheckedIOException e) { // bad address or TLS files
                allUp = false;
                row.put("reachable", false);
                row.put("error", e.getMessage());
            }
            rows.add(row);
        }
        var out = spec.commandLine().getOut();
        if (json) {
            out.println(RunJson.write(rows, false));
        } else {
            List<List<String>> cells = new ArrayList<>();
            for (Map<String, Object> r : rows) {
                boolean up = Boolean.TRUE.equals(r.get("reachable"));
                cells.add(List.of(
                        String.valueOf(r.get("name")),
                        String.valueOf(r.get("address")),
                        up ? "yes" : "no",
                        up ? String.valueOf(r.get("version")) : "-",
                        up
                                ? r.get("running") + "/" + r.get("max_tasks") + " tasks, load "
                                        + String.format(Locale.ROOT, "%.2f", (Double) r.get("load_average")) + " on "
                                        + r.get("cpus") + " cpus"
                                : "-",
                        up ? "" : String.valueOf(r.get("error"))));
            }
            out.print(Format.table(List.of("NAME", "ADDRESS", "REACHABLE", "VERSION", "LOAD", "ERROR"), cells));
        }
        out.flush();
        return allUp ? Main.OK : Main.TASK_FAILED;
    }
}
