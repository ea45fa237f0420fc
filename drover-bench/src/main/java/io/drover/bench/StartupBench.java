package io.drover.bench;

import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.TaskSubmission;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Wall time of short CLI commands through the launchers users run ({@code ./drover}), the build before a change
 * against the build after it, runs interleaved (base, new, base, new, ...) so both see the same machine. Each
 * command's median of {@code --runs} and the ratio new/base; against a redis-server of its own.
 *
 * <pre>bench/startup.sh [BASE_REF]   # or: StartupBench --base DIR --new DIR [--runs 10]</pre>
 */
public final class StartupBench {
    private StartupBench() {}

    public static void main(String[] args) throws Exception {
        Path base = null;
        Path now = null;
        int runs = 10;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--base" -> base = Path.of(args[++i]);
                case "--new" -> now = Path.of(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (base == null || now == null)
            throw new IllegalArgumentException("give --base DIR and --new DIR (checkouts with ./drover)");
        try (BenchRedis redis = BenchRedis.start();
                Client c = Client.connect(redis.url())) {
            String id = c.submit(TaskSubmission.shell("true"));
            Map<String, List<String>> commands = new LinkedHashMap<>();
            commands.put("--version", List.of("--version"));
            commands.put("task status ID", List.of("task", "status", id, "--redis-url", redis.url()));
            commands.put(
                    "validate hello.lua",
                    List.of("validate", now.resolve("examples/hello.lua").toString()));
            for (Path p : List.of(base, now))
                for (List<String> cmd : commands.values()) time(p, cmd); // first use: builds, caches
            System.out.printf("%-20s %12s %12s %8s%n", "command", "base (ms)", "new (ms)", "ratio");
            for (Map.Entry<String, List<String>> e : commands.entrySet()) {
                List<Long> b = new ArrayList<>();
                List<Long> n = new ArrayList<>();
                for (int r = 0; r < runs; r++) {
                    b.add(time(base, e.getValue()));
                    n.add(time(now, e.getValue()));
                }
                long mb = median(b);
                long mn = median(n);
                System.out.printf("%-20s %12d %12d %8.2f%n", e.getKey(), mb, mn, (double) mn / mb);
            }
        }
    }

    private static long time(Path checkout, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(checkout.resolve("drover").toString());
        cmd.addAll(args);
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        int code = p.waitFor();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (code != 0) throw new IllegalStateException(String.join(" ", cmd) + " exited " + code);
        return ms;
    }

    private static long median(List<Long> xs) {
        List<Long> s = new ArrayList<>(xs);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }
}
