package io.drover.core.process;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one command to its end under a {@link Cancellation}: on cancel or timeout its whole process tree is killed
 * (see {@link ProcessTree}).
 * When the command exits, whatever it left running in the background is killed too, so a task never leaves
 * processes behind. Thread-safe; all methods are static.
 */
public final class Commands {
    /** The longest line passed to a task's log: the rest of a longer one is dropped, and the line says so. */
    public static final int MAX_LINE_BYTES = 64 * 1024;

    /** Output kept per stream by {@link #capture}; the rest is dropped and noted. */
    public static final int MAX_CAPTURE_BYTES = 16 * 1024 * 1024;

    private static final long LINGER_MILLIS = 200;
    private static final long CLOSE_AFTER_MILLIS = 500;

    private Commands() {}

    /** How a command ended. {@code stopped} is true when the cancellation fired while it ran. */
    public record Exit(int code, String lastLine, boolean stopped) {}

    /** How a captured command ended, with its stdout and stderr. */
    public record Captured(int code, String stdout, String stderr, boolean stopped) {}

    /** Runs {@code argv}, sending stdout and stderr line by line to {@code log}. */
    public static Exit logged(List<String> argv, Path dir, Map<String, String> env, TaskLog log, Cancellation cancel)
            throws IOException {
        ProcessTree tree = ProcessTree.start(argv, dir, env, true);
        Process p = tree.process();
        String[] last = {""};
        Thread reader = Thread.ofVirtual()
                .name("drover-out-" + p.pid())
                .start(() -> lines(p.getInputStream(), line -> {
                    log.line(line);
                    if (!line.isBlank()) last[0] = line;
                }));
        int code = waitFor(tree, cancel, reader);
        return new Exit(code, last[0], cancel.isCancelled());
    }

    /** Runs {@code argv} and returns its stdout and stderr, each up to {@link #MAX_CAPTURE_BYTES}. */
    public static Captured capture(List<String> argv, Path dir, Map<String, String> env, Cancellation cancel)
            throws IOException {
        ProcessTree tree = ProcessTree.start(argv, dir, env, false);
        Process p = tree.process();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread errReader = Thread.ofVirtual().start(() -> drain(p.getErrorStream(), err));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread outReader = Thread.ofVirtual().start(() -> drain(p.getInputStream(), out));
        int code = waitFor(tree, cancel, outReader, errReader);
        return new Captured(
                code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), cancel.isCancelled());
    }

    private static int waitFor(ProcessTree tree, Cancellation cancel, Thread... readers) {
        Process p = tree.process();
        // Killing may wait out a grace period: never do it on the thread that cancels (a scheduler or a timer).
        try (Cancellation.Registration ignored =
                cancel.onCancel(() -> Thread.ofVirtual().start(() -> tree.kill(ProcessTree.DEFAULT_GRACE_MILLIS)))) {
            int code = p.waitFor();
            tree.killRemains(); // the command is over: so is anything it left running in the background
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LINGER_MILLIS);
            boolean lingering = false;
            for (Thread r : readers) {
                r.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                lingering |= r.isAlive();
            }
            if (lingering) {
                // Something still holds the output open although our leftovers are gone: an unrelated process spawned
                // at
                // the same moment can inherit the pipe. Close the streams rather than wait for an EOF that may come
                // late.
                for (Thread r : readers) r.join(CLOSE_AFTER_MILLIS);
                closeQuietly(p.getInputStream());
                closeQuietly(p.getErrorStream());
                for (Thread r : readers) join(r);
            }
            return code;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            tree.kill(0);
            return -1;
        }
    }

    /**
     * Splits output into lines ({@code \n}, {@code \r\n}) of at most {@link #MAX_LINE_BYTES}: a longer line is cut,
     * marked, and the rest of it dropped, so output without a newline never fills the memory.
     */
    static void lines(InputStream in, TaskLog log) {
        byte[] buf = new byte[8192];
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean cut = false;
        try (in) {
            int r;
            while ((r = in.read(buf)) >= 0) {
                for (int i = 0; i < r; i++) {
                    byte b = buf[i];
                    if (b == '\n') {
                        if (!cut) log.line(text(line));
                        line.reset();
                        cut = false;
                    } else if (!cut) {
                        line.write(b);
                        if (line.size() >= MAX_LINE_BYTES) {
                            log.line(text(line) + " [drover: line cut at " + MAX_LINE_BYTES + " bytes]");
                            line.reset();
                            cut = true;
                        }
                    }
                }
            }
        } catch (IOException e) {
            // the stream closes when the tree is killed
        }
        if (!cut && line.size() > 0) log.line(text(line));
    }

    private static String text(ByteArrayOutputStream line) {
        String s = line.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    private static void drain(InputStream in, ByteArrayOutputStream into) {
        byte[] buf = new byte[8192];
        try (in) {
            int r;
            while ((r = in.read(buf)) >= 0) {
                if (into.size() < MAX_CAPTURE_BYTES) {
                    into.write(buf, 0, Math.min(r, MAX_CAPTURE_BYTES - into.size()));
                }
            }
        } catch (IOException e) {
            // closed by a kill
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // already closed
        }
    }

    private static void join(Thread t) {
        try {
            t.join(TimeUnit.SECONDS.toMillis(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
