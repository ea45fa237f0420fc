package io.drover.cluster.run;

import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.TaskStatus;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.core.engine.AttemptHandle;
import io.drover.core.engine.Dispatcher;
import io.drover.core.engine.TaskSink;
import io.drover.core.model.WorkflowSource;
import io.drover.core.runner.TaskOutcome;
import io.drover.core.runner.TaskRequest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs a workflow's attempts on the fleet: each one becomes a {@code workflow} task on its queue (the task's
 * {@code queue}, else this run's), carrying the workflow source so workers can run its Lua functions. One watcher
 * thread follows every attempt in flight through its event stream (one XREAD per queue per round): log lines go to
 * the sink as they come, and the final state brings the outcome. Retries stay with the run's scheduler, so the
 * queue gives each attempt one try. A task goes to the worker that ran its dependencies when that one has room
 * ({@link Affinity}), else to the queue's shared stream. Thread-safe.
 *
 * <p>Tasks run in the worker's private directory: a workflow whose tasks hand files to each other through a
 * shared directory needs agents or one machine, not the fleet.
 */
public final class ClusterDispatcher implements Dispatcher {
  private static final Logger LOG = Logger.getLogger(ClusterDispatcher.class.getName());

  private final Client client;
  private final WorkflowSource source;
  private final String defaultQueue;
  private final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();
  private final Thread watcher;
  private final Affinity affinity;
  private final java.util.concurrent.ExecutorService submitter =
      java.util.concurrent.Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("drover-cluster-submit-", 0).factory());
  private volatile boolean closed;

  private static final class InFlight {
    final TaskSink sink;
    volatile String id;
    String after = "0";
    /** Why this run cancelled it (the run's words, e.g. --fail-fast), or null. */
    volatile String cancelReason;
    final io.drover.core.model.TaskId task;
    /** The worker it was sent to for affinity, or null. */
    volatile String sentTo;

    InFlight(TaskSink sink, io.drover.core.model.TaskId task) {
      this.sink = sink;
      this.task = task;
    }
  }

  public ClusterDispatcher(Client client, WorkflowSource source, String defaultQueue) {
    this.client = client;
    this.source = source;
    this.defaultQueue = defaultQueue;
    this.affinity = new Affinity(client.redis());
    this.watcher = Thread.ofPlatform().daemon().name("drover-cluster-watch").start(this::watch);
  }

  /**
   * Returns at once: the submit (a Redis round trip) happens on a virtual thread, not on the scheduler's. A cancel
   * that comes before the task is on its queue is applied as soon as it is.
   */
  @Override
  public AttemptHandle dispatch(TaskRequest request, TaskSink sink) {
    String queue = request.task().queue() == null ? defaultQueue : request.task().queue();
    InFlight f = new InFlight(sink, request.task().id());
    submitter.execute(() -> {
      String id;
      try {
        String to = affinity.pick(request.task(), queue);
        id = client.submit(TaskSubmission.workflow(source, request).withQueue(queue)
            .withIdempotencyKey(attemptKey(request)).withWorker(to));
        affinity.sentTo(to);
        f.sentTo = to;
      } catch (RuntimeException e) {
        sink.completed(TaskOutcome.failed("could not put the task on queue '" + queue + "': " + e.getMessage()));
        return;
      }
      f.id = id;
      inFlight.put(id, f);
      LockSupport.unpark(watcher);
      if (f.cancelReason != null) cancel(id); // cancelled while it was being submitted
    });
    return reason -> {
      f.cancelReason = reason;
      String id = f.id;
      if (id != null) cancel(id); // else the submitter cancels it once it has an id
    };
  }

  /**
   * The idempotency key of an attempt: the same run, task and attempt number always name one queue task, so a
   * scheduler that takes a run over and dispatches an attempt again follows the one already in flight (or already
   * ended) instead of starting a second.
   */
  public static String attemptKey(TaskRequest request) {
    return "run:" + request.runId() + ":" + request.task().id() + ":" + request.attempt();
  }

  private void cancel(String id) {
    try {
      client.cancel(id);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "could not cancel " + id, e);
    }
  }

  private void watch() {
    long idle = 1;
    long nextRescue = System.nanoTime();
    while (!closed) {
      boolean progress = false;
      boolean failed = false;
      try {
        if (System.nanoTime() >= nextRescue) {
          nextRescue = System.nanoTime() + 1_000_000_000L;
          affinity.rescue();
        }
        if (!inFlight.isEmpty()) {
          Map<String, String> after = new HashMap<>();
          inFlight.forEach((id, f) -> after.put(id, f.after));
          for (Map.Entry<String, List<Client.TaskEvent>> e : client.events(after).entrySet()) {
            InFlight f = inFlight.get(e.getKey());
            if (f == null) continue;
            progress = true;
            for (Client.TaskEvent ev : e.getValue()) {
              f.after = ev.streamId();
              if ("log".equals(ev.fields().get("type"))) f.sink.log(ev.fields().getOrDefault("line", ""));
              if (ev.isFinal()) {
                finish(e.getKey(), f);
                break;
              }
            }
          }
        }
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "following tasks on the fleet failed; trying again", e);
        failed = true;
      }
      idle = failed ? 200 : progress ? 1 : Math.min(idle * 2, 20);
      LockSupport.parkNanos(idle * 1_000_000);
    }
  }

  private void finish(String id, InFlight f) {
    inFlight.remove(id);
    TaskStatus s = client.status(id).orElse(null);
    affinity.ended(f.task, s == null ? null : s.worker(), f.sentTo);
    if (s == null) {
      f.sink.completed(TaskOutcome.failed("the task record of " + id + " is gone"));
      return;
    }
    f.sink.completed(switch (s.state()) {
      case "SUCCEEDED" -> TaskOutcome.succeeded(s.message(), s.outputs());
      case "CANCELLED" -> TaskOutcome.cancelled(f.cancelReason != null ? f.cancelReason : s.message());
      case "SKIPPED" -> TaskOutcome.skipped(s.message());
      default -> TaskOutcome.failed(s.message().isEmpty() ? "failed on worker " + s.worker() : s.message());
    });
  }

  /** Stops following; attempts still in flight are cancelled on the fleet. */
  @Override
  public void close() {
    stop(true);
  }

  /**
   * Stops following and leaves the attempts in flight to run on, for the scheduler that takes the run over; their
   * sinks hear nothing more.
   */
  public void detach() {
    stop(false);
  }

  private void stop(boolean cancelInFlight) {
    closed = true;
    submitter.shutdown();
    try {
      submitter.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (cancelInFlight) for (String id : inFlight.keySet()) cancel(id);
    LockSupport.unpark(watcher);
    try {
      watcher.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
