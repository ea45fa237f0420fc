package io.drover.agent;

import io.drover.agent.server.AgentOptions;
import io.drover.agent.server.AgentServer;
import io.drover.core.runner.TaskKinds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * An agent in a process of its own, for tests of this module (the CLI's {@code drover agent} lives in drover-cli):
 * {@code name workdir maxTasks token|- cert|- key|- clientCa|-}. Writes its port to {@code workdir/port}.
 */
public final class AgentProcessMain {
    public static void main(String[] a) throws Exception {
        Path workdir = Path.of(a[1]);
        AgentOptions.Builder b = AgentOptions.builder()
                .port(0)
                .name(a[0])
                .workdir(workdir)
                .maxTasks(Integer.parseInt(a[2]))
                .bind("127.0.0.1")
                .token(opt(a[3]));
        if (opt(a[4]) != null) b.tls(Path.of(a[4]), Path.of(a[5]), opt(a[6]) == null ? null : Path.of(a[6]));
        AgentServer s = AgentServer.start(b.build(), TaskKinds.none(), line -> System.err.println(line));
        Files.createDirectories(workdir);
        Path tmp = workdir.resolve("port.tmp");
        Files.writeString(tmp, Integer.toString(s.port()));
        Files.move(tmp, workdir.resolve("port"), StandardCopyOption.ATOMIC_MOVE);
        s.awaitTermination();
    }

    private static String opt(String v) {
        return v.equals("-") ? null : v;
    }

    private AgentProcessMain() {}
}
