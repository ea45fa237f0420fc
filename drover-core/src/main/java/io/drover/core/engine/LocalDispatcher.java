package io.drover.core.engine;

import io.drover.core.process.Cancellation;
import io.drover.core.runner.TaskContext;
import io.drover.core.runner.TaskOutcome;
import io.drover.core.runner.TaskRequest;
import io.drover.core.runner.TaskRunner;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Runs attempts in this process through a {@link TaskRunner}, each on a virtual thread (busy Lua functions yield
 * their carrier regularly, see {@link io.drover.core.lua.LuaInterpreter}). Thread-safe.
 *
 * <p>Relative working directories resolve against {@code baseDir}; Drover's own per-attempt files go under
 * {@code scratchDir}.
 */
public final class LocalDispatcher implements Dispatcher {
  private final TaskRunner runner;
  private final Path baseDir;
  private final Path scratchDir;
  private final ExecutorService executor;
  private final Set<Cancellation> running = ConcurrentHashMap.newKeySet();

  public LocalDispatcher(TaskRunner runner, Path baseDir, Path scratchDir) {
    this.runner = runner;
    this.baseDir = baseDir.toAbsolutePath().normalize();
    this.scratchDir = scratchDir.toAbsolutePath().normalize();
    try {
      java.nio.file.Files.createDirectories(this.scratchDir);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot create " + this.scratchDir, e);
    }
    this.executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("drover-task-", 0).factory());
  }

  @Override
  public AttemptHandle dispatch(TaskRequest request, TaskSink sink) {
    Cancellation cancellation = new Cancellation();
    running.add(cancellation);
    TaskContext context = new TaskContext(baseDir, scratchDir, sink::log, cancellation);
    executor.execute(() -> {
      TaskOutcome outcome;
      try {
        outcome = runner.run(request, context);
      } catch (Throwable t) {
        outcome = TaskOutcome.failed("internal error: " + t);
      } finally {
        running.remove(cancellation);
      }
      sink.completed(outcome);
    });
    return reason -> cancellation.cancel(Cancellation.Cause.CANCELLED, reason);
  }

  /** Cancels what still runs and stops taking work. */
  @Override
  public void close() {
    for (Cancellation c : running) c.cancel(Cancellation.Cause.CANCELLED, "dispatcher closed");
    executor.shutdown();
  }
}
