package io.drover.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/** A redis-server of a bench's own, on a free loopback port, without persistence; never the shared 6379. */
final class BenchRedis implements AutoCloseable {
    private final Process process;
    private final String url;

    private BenchRedis(Process process, String url) {
        this.process = process;
        this.url = url;
    }

    static BenchRedis start() throws IOException, InterruptedException {
        int port;
        try (ServerSocket ss = new ServerSocket(0)) {
            port = ss.getLocalPort();
        }
        Path dir = Files.createTempDirectory("drover-bench-redis");
        Process p = new ProcessBuilder(
                        "redis-server",
                        "--port",
                        Integer.toString(port),
                        "--bind",
                        "127.0.0.1",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--dir",
                        dir.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("log").toFile())
                .start();
        Thread.sleep(300);
        return new BenchRedis(p, "redis://127.0.0.1:" + port);
    }

    String url() {
        return url;
    }

    @Override
    public void close() {
        process.destroy();
    }
}
