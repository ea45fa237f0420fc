package io.drover.cluster.worker;

import io.drover.cluster.queue.TaskCodec;
import io.drover.cluster.queue.WorkerStore;
import io.drover.core.lua.Json;
import io.drover.core.runner.TaskOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Records the outcomes of ended attempts, many per script call, on its own thread: each only while this worker
 * still holds the attempt's lease with the token it started with (the script checks), so an outcome that comes
 * late is refused rather than recorded twice.
 */
final class Completer {
    /** Outcomes recorded by one script call at most. */
    private static final int BATCH = 256;

    private final WorkerContext w;
    private final LinkedBlockingQueue<Done> done = new LinkedBlockingQueue<>();

    /** An attempt's outcome waiting to be recorded; {@code retryDueMillis} when a failure's retry is due. */
    private record Done(Attempt attempt, TaskOutcome outcome, long retryDueMillis) {}

    Completer(WorkerContext w) {
        this.w = w;
    }

    /** Queues an ended attempt's outcome (its {@code unrecorded} permit is held until it is recorded). */
    void add(Attempt a, TaskOutcome outcome, long retryDueMillis) {
        done.add(new Done(a, outcome, retryDueMillis));
    }

    /** Records until the worker stops and holds nothing. */
    void loop() {
        List<Done> batch = new ArrayList<>(BATCH);
        while (true) {
            try {
                Done first = done.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (w.stopping.get() && w.held.isEmpty()) return;
                    continue;
                }
                batch.add(first);
                done.drainTo(batch, BATCH - 1);
                record(batch);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // Redis unreachable: these outcomes are lost with it; the leases lapse and the tasks run again.
                w.log.warn("could not record " + batch.size() + " outcomes (their tasks will run again): "
                        + e.getMessage());
                for (Done d : batch) w.recorded(d.attempt());
            } finally {
                batch.clear();
            }
        }
    }

    private void record(List<Done> batch) {
        List<WorkerStore.Outcome> outcomes = new ArrayList<>(batch.size());
        List<Done> sent = new ArrayList<>();
        for (Done d : batch) {
            Attempt a = d.attempt();
            if (a.lost) {
                finish(d, false);
                continue;
            }
            TaskOutcome o = d.outcome();
            outcomes.add(new WorkerStore.Outcome(
                    a.id,
                    a.stream,
                    a.entry,
                    a.token,
                    a.attempt,
                    a.startedUs,
                    o.status().name(),
                    o.message(),
                    o.outputs().isEmpty() ? "{}" : Json.write(o.outputs()),
                    d.retryDueMillis(),
                    a.runningEventWritten(),
                    a.notify, // status SKIPPED: run_if was false
                    a.files));
            sent.add(d);
        }
        if (sent.isEmpty()) return;
        // The script reads this worker's pending entries of each stream in one XPENDING. What the worker holds (running
        // or waiting to be recorded) bounds them, but for leftovers of lost leases; should a reply be full, the script
        // looks up the entries it did not bring one by one.
        List<Boolean> accepted =
                w.store.complete(outcomes, w.options.retention(), TaskCodec.nowMicros(), 2 * w.held.size() + 16);
        for (int i = 0; i < sent.size(); i++) finish(sent.get(i), accepted.get(i));
    }

    private void finish(Done d, boolean accepted) {
        Attempt a = d.attempt();
        try {
            if (accepted) {
                w.processed.incrementAndGet();
                if (d.outcome().status() == TaskOutcome.Status.FAILED) w.failed.incrementAndGet();
                if (w.options.logTasks()) {
                    String m = d.outcome().message();
                    w.log.info("ended " + a.id + " (attempt " + a.attempt + "): "
                            + d.outcome().status().name().toLowerCase(Locale.ROOT)
                            + (m == null || m.isEmpty()
                                    ? ""
                                    : ": " + (m.length() > 200 ? m.substring(0, 200) + "..." : m)));
                }
            } else {
                w.log.warn(
                        "outcome of " + a.id + " attempt " + a.attempt + " refused: another worker holds the task now");
            }
            w.options.onTaskDone().onTaskDone(a.id, a.attempt, d.outcome(), accepted);
        } catch (RuntimeException e) {
            w.log.warn("onTaskDone failed for " + a.id + ": " + e);
        } finally {
            w.recorded(a);
        }
    }
}
