package io.drover.core;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Waiting on processes a task started, by the pid it wrote to a file. Shared by the dispatcher tests of every module. */
public final class TestProcesses {
    private TestProcesses() {}

    /** Waits until {@code file} holds a pid (the first line) and returns it. */
    public static long awaitPid(Path file) {
        await().atMost(Duration.ofSeconds(20))
                .until(() -> Files.exists(file) && !Files.readString(file).isBlank());
        try {
            return Long.parseLong(Files.readAllLines(file).get(0).strip());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Whether the process runs. A killed process whose parent exited waits as a zombie until init reaps it, which on
     * some machines happens only every few seconds (seen here: a killed orphan stayed a zombie for over a second;
     * this made a test that waited 10 s fail under load): it is dead for the task that started it.
     */
    public static boolean alive(long pid) {
        if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) return false;
        if (!Files.isDirectory(Path.of("/proc"))) return true; // no way to tell a zombie: trust isAlive
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException | RuntimeException e) {
            return Files.exists(Path.of("/proc", Long.toString(pid))); // gone meanwhile
        }
    }

    /** Waits until the process is gone (killed with its task's tree). */
    public static void awaitGone(long pid) {
        await().atMost(Duration.ofSeconds(10)).until(() -> !alive(pid));
    }
}
