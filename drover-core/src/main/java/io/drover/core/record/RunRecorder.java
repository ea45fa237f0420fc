package io.drover.core.record;

import io.drover.core.engine.RunListener;
import io.drover.core.engine.RunResult;
import io.drover.core.engine.RunStatus;
import io.drover.core.engine.TaskState;
import io.drover.core.model.TaskSpec;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Records a run in a {@link RunStore}: {@code run.json} when it starts and when it ends, and each task's log lines
 * (a file is created only for tasks that log). Thread-safe.
 */
public final class RunRecorder implements RunListener {
    private final RunStore store;
    private final String workflow;
    private final Map<String, ?> params;
    /** The most a task's log file holds: lines past it are dropped, and the file says so once. */
    public static final long MAX_LOG_BYTES = 64L * 1024 * 1024;

    private final Map<String, BufferedWriter> logs = new ConcurrentHashMap<>();
    private final Map<String, long[]> logBytes = new ConcurrentHashMap<>();
    private volatile String runId;
    private boolean finished;

    /** @param params run parameters as they may be shown (secrets already masked) */
    public RunRecorder(RunStore store, String workflow, Map<String, ?> params) {
        this.store = store;
        this.workflow = workflow;
        this.params = params;
    }

    @Override
    public void onRunStarted(String id, int taskCount) {
        this.runId = id;
        Map<String, Object> m = record(RunStatus.RUNNING);
        m.put("started_at", Instant.now().toString());
        m.put("finished_at", null);
        m.put("task_count", taskCount);
        store.write(id, m);
    }

    @Override
    public void onTaskLog(TaskSpec task, int attempt, String line) {
        String key = task.id().toString();
        BufferedWriter w = logs.computeIfAbsent(key, k -> open(k));
        long[] written = logBytes.computeIfAbsent(key, k -> new long[1]);
        synchronized (w) {
            try {
                if (written[0] > MAX_LOG_BYTES) return;
                written[0] += line.length() + 1;
                if (written[0] > MAX_LOG_BYTES) {
                    w.write("[drover: this log passed " + MAX_LOG_BYTES + " bytes; later lines are not recorded]");
                } else {
                    w.write(line);
                }
                w.newLine();
                w.flush();
            } catch (IOException e) {
                // a full disk must not stop the run; the line is still on the console if followed
            }
        }
    }

    private BufferedWriter open(String taskId) {
        try {
            Path f = store.logFile(runId, taskId);
            Files.createDirectories(f.getParent());
            return Files.newBufferedWriter(
                    f, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void onTaskStateChanged(TaskSpec task, TaskState from, TaskState to, int attempt, String message) {
        if (to == TaskState.RUNNING && attempt > 1) {
            onTaskLog(task, attempt, "--- attempt " + attempt + " ---");
        } else if (to.isTerminal()) {
            close(logs.remove(task.id().toString()));
        }
    }

    /**
     * Closes the record of a run whose process must exit before the run could end (a second interrupt): it says
     * cancelled, with the reason, rather than running forever. A run that finished meanwhile keeps its record.
     */
    public synchronized void exitedEarly(String reason) {
        if (finished || runId == null) return;
        Map<String, Object> m = record(RunStatus.CANCELLED);
        m.put("finished_at", Instant.now().toString());
        m.put("message", reason);
        store.write(runId, m);
    }

    /** A record of this run with no task results yet (the run's start, or an early exit). */
    private Map<String, Object> record(RunStatus status) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("run_id", runId);
        m.put("status", status.label());
        m.put("workflow", workflow);
        m.put("params", params);
        m.put("tasks", List.of());
        return m;
    }

    @Override
    public void onRunFinished(RunResult result) {
        logs.values().forEach(RunRecorder::close);
        logs.clear();
        synchronized (this) {
            finished = true;
            store.write(result.runId(), RunJson.toMap(result, workflow, params));
        }
    }

    private static void close(BufferedWriter w) {
        if (w == null) return;
        synchronized (w) {
            try {
                w.close();
            } catch (IOException e) {
                // nothing to do
            }
        }
    }
}
