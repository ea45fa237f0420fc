package io.drover.cli;

import io.drover.core.engine.RunListener;
import io.drover.core.engine.TaskState;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import java.io.PrintWriter;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Shows a run as it goes. On a terminal: a line per finished task and a live status line (running tasks with their
 * elapsed time, counts). Otherwise: plain timestamped lines. With {@code --follow-logs}, every log line prefixed
 * with its task. Thread-safe: all printing goes through one lock.
 */
final class ConsoleReporter implements RunListener, AutoCloseable {
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");
    private static final String[] SPINNER = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};

    private final PrintWriter out;
    private final boolean interactive;
    private final boolean color;
    private final boolean followLogs;
    private final Map<TaskId, Long> running = new ConcurrentHashMap<>();
    private final AtomicInteger done = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private volatile int total;
    private Thread ticker;
    private boolean statusShown;
    private int frame;

    ConsoleReporter(PrintWriter out, boolean interactive, boolean color, boolean followLogs) {
        this.out = out;
        this.interactive = interactive;
        this.color = color;
        this.followLogs = followLogs;
    }

    @Override
    public void onRunStarted(String runId, int taskCount) {
        total = taskCount;
        print(dim("run " + runId + ": " + taskCount + (taskCount == 1 ? " task" : " tasks")));
        if (interactive) {
            ticker = Thread.ofPlatform().daemon().name("drover-progress").start(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        Thread.sleep(120);
                        synchronized (this) {
                            drawStatus();
                        }
                    }
                } catch (InterruptedException e) {
                    // closed
                }
            });
        }
    }

    @Override
    public void onTaskStateChanged(TaskSpec task, TaskState from, TaskState to, int attempt, String message) {
        TaskId id = task.id();
        switch (to) {
            case RUNNING -> {
                running.put(id, System.nanoTime());
                if (!interactive) print(stamp() + "start   " + id + (attempt > 1 ? " (attempt " + attempt + ")" : ""));
            }
            case RETRYING -> {
                Long since = running.remove(id);
                print(stamp() + yellow("retry   ") + id + " attempt " + attempt + " failed" + elapsed(since)
                        + suffix(message));
            }
            case SUCCEEDED -> {
                Long since = running.remove(id);
                done.incrementAndGet();
                print(stamp() + green("ok      ") + id + elapsed(since) + suffix(message));
            }
            case FAILED -> {
                Long since = running.remove(id);
                done.incrementAndGet();
                failed.incrementAndGet();
                print(stamp()
                        + red("FAILED  ")
                        + id
                        + elapsed(since)
                        + (attempt > 1 ? " after " + attempt + " attempts" : "")
                        + suffix(message));
            }
            case SKIPPED -> {
                running.remove(id);
                done.incrementAndGet();
                print(stamp() + dim("skipped " + id + suffix(message)));
            }
            case CANCELLED -> {
                Long since = running.remove(id);
                done.incrementAndGet();
                if (since != null || from != TaskState.PENDING)
                    print(stamp() + yellow("cancel  ") + id + suffix(message));
            }
            default -> {}
        }
    }

    @Override
    public void onTaskLog(TaskSpec task, int attempt, String line) {
        if (followLogs) print(dim(task.id() + " | ") + Terminal.escape(line));
    }

    @Override
    public void close() {
        if (ticker != null) {
            ticker.interrupt();
            try {
                ticker.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            clearStatus();
            out.flush();
        }
    }

    synchronized void print(String line) {
        clearStatus();
        out.println(line);
        if (interactive) drawStatus();
        out.flush();
    }

    private void clearStatus() {
        if (statusShown) {
            out.print("\r\033[2K");
            statusShown = false;
        }
    }

    private void drawStatus() {
        if (!interactive) return;
        List<Map.Entry<TaskId, Long>> now = new ArrayList<>(running.entrySet());
        now.sort(Map.Entry.comparingByValue());
        StringBuilder sb = new StringBuilder();
        sb.append(SPINNER[frame++ % SPINNER.length])
                .append(' ')
                .append(done.get())
                .append('/')
                .append(total)
                .append(" done");
        if (failed.get() > 0) sb.append(", ").append(failed.get()).append(" failed");
        sb.append(", ").append(now.size()).append(" running");
        long t = System.nanoTime();
        int shown = 0;
        for (Map.Entry<TaskId, Long> e : now) {
            if (shown++ == 3) {
                sb.append(" …");
                break;
            }
            sb.append(shown == 1 ? ": " : ", ")
                    .append(e.getKey())
                    .append(' ')
                    .append(Format.seconds((t - e.getValue()) / 1_000_000));
        }
        String line = sb.length() > 150 ? sb.substring(0, 149) + "…" : sb.toString();
        out.print("\r\033[2K" + dim(line));
        out.flush();
        statusShown = true;
    }

    private String stamp() {
        return interactive
                ? ""
                : dim(LocalTime.now(java.time.ZoneId.systemDefault()).format(CLOCK)) + " ";
    }

    private static String elapsed(Long since) {
        return since == null ? "" : " (" + Format.seconds((System.nanoTime() - since) / 1_000_000) + ")";
    }

    private static String suffix(String message) {
        return message == null || message.isEmpty() ? "" : ": " + Terminal.escape(message);
    }

    private String green(String s) {
        return color ? "\033[32m" + s + "\033[0m" : s;
    }

    private String red(String s) {
        return color ? "\033[31;1m" + s + "\033[0m" : s;
    }

    private String yellow(String s) {
        return color ? "\033[33m" + s + "\033[0m" : s;
    }

    private String dim(String s) {
        return color ? "\033[2m" + s + "\033[0m" : s;
    }
}
