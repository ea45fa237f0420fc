package io.drover.cluster.worker;

import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.Keys;
import io.drover.cluster.queue.Outage;
import io.drover.cluster.queue.WorkerStore;
import io.drover.cluster.queue.SourceRef;
import io.drover.cluster.queue.TaskCodec;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.core.DroverException;
import io.drover.core.Version;
import io.drover.core.lua.Json;
import io.drover.core.lua.LuaBody;
import io.drover.core.lua.LuaRuntime;
import io.drover.core.model.Backoff;
import io.drover.core.model.Command;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.model.WorkflowSource;
import io.drover.core.process.Cancellation;
import io.drover.core.runner.TaskContext;
import io.drover.core.runner.TaskOutcome;
import io.drover.core.runner.RequestCodec;
import io.drover.core.runner.TaskRequest;
import io.drover.core.runner.TaskRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Runs tasks from one queue. Lifecycle: {@link #start} (connects and fails fast), {@link #shutdown} (stop claiming,
 * let running tasks finish within the grace period, hand the rest back), {@link #shutdownNow} (hand everything
 * back at once), {@link #awaitTermination}. Thread-safe; shutdown methods are idempotent.
 *
 * <p>Delivery is at-least-once. A claimed task's stream entry stays pending in the consumer group; its idle time is
 * the lease, reset by this worker's heartbeat every third of the lease. A worker that stops heartbeating loses
 * its tasks to whichever live worker reclaims them (XAUTOCLAIM), which raises the entry's delivery count: the
 * attempt's fencing token. An outcome is recorded only while the entry is pending for this worker with the count
 * its attempt started with (checked inside the script), so a worker that was paused and wakes up late can never
 * complete a task that someone else holds now.
 */
public final class Worker implements io.drover.core.Lifecycle {
  private final WorkerOptions options;
  /** What this worker says ({@link io.drover.core.Log}): what goes wrong at warn, its comings and goings at info. */
  private final io.drover.core.Log log;
  private final Keys keys;
  /**
   * The streams this worker reads: its own (tasks sent to it for affinity), the queue's plain one, and those of
   * every subset of its tags.
   */
  private final List<String> streams;
  private int nextStream;
  /** Every call this worker makes to Redis. */
  private WorkerStore store;
  private final Semaphore slots;
  /**
   * Outcomes waiting to be recorded, at most {@code concurrency}: an attempt that ended gives its slot back at once
   * (concurrency counts tasks that run), and only waits, holding it, when recording falls that far behind.
   */
  private final Semaphore unrecorded;
  private final Map<String, Held> held = new ConcurrentHashMap<>();
  private final ExecutorService attempts = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("drover-attempt-", 0).factory());
  private final ScheduledExecutorService heartbeat;
  /** What each delivered attempt runs (made once the store is open). */
  private AttemptDecoder decoder;
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final CountDownLatch terminated = new CountDownLatch(1);
  private final AtomicLong processed = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final Instant startedAt = Instant.now();
  private volatile boolean claiming = true;
  /** Set by an operator through the worker's record (drover node drain): no new claims, running tasks go on. */
  private volatile boolean draining;
  /** Whether someone follows a queued task of the queue (seen with the last read): then the claim script looks. */
  private volatile boolean following = true;
  private Thread claimer;

  private final java.util.concurrent.LinkedBlockingQueue<Done> done = new java.util.concurrent.LinkedBlockingQueue<>();
  private Thread completer;

  /** An attempt's outcome waiting to be recorded. */
  private record Done(Held held, TaskOutcome outcome, long retryDueMillis) {}

  /** Outcomes recorded by one script call at most. */
  private static final int COMPLETE_BATCH = 256;
  /** Log lines of one attempt waiting to be written; the task's output waits (its pipe fills) past them. */
  private static final int PENDING_LINES = 10_000;
  /** Log lines per fenced write. */
  private static final int LINES_PER_WRITE = 500;

  /** Under load, how long the claimer gathers returning slots so one read serves many tasks. */
  private static final long GATHER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  /** Deliveries of one entry from which an attempt is a suspect of crashing its worker ({@link #awaitSuspectTurn}). */
  static final int SUSPECT_DELIVERIES = 3;
  private final Semaphore suspects = new Semaphore(1);

  /** A task this worker runs now. */
  private static final class Held {
    final String id;
    final String stream;
    final String entry;
    /** The entry's delivery count when this attempt started: the lease's fencing token. */
    final long token;
    /** The attempt's number (attempts made before its entry, plus the token). */
    final int attempt;
    final long startedUs = TaskCodec.nowMicros();
    /** The stream of the task's follower (a run's dispatcher), which hears of its end; empty for none. */
    final String notify;
    /** The task's spec, from its stream entry: parsed once, when the entry was taken (empty if unreadable). */
    final Map<String, Object> spec;
    /** Failed attempts before this one (for the backoff before the next). */
    final int failures;
    final Cancellation cancellation = new Cancellation();
    volatile boolean lost;
    volatile boolean handBack;
    /**
     * Whether this attempt's RUNNING event is in the task's event stream: the claim writes it for a followed task,
     * the worker with the first log line otherwise. Then the outcome goes there too.
     */
    boolean runningEventWritten;
    /** The attempt's log lines on their way to Redis (set when it starts running). */
    Lines lines;

    /** One delivery: duplicate entries of one task are two deliveries, each with its own slot and directory. */
    final String key;

    /** The lease this attempt holds, as the store fences it. */
    WorkerStore.Held lease() {
      return new WorkerStore.Held(id, stream, entry, token);
    }

    Held(String id, String stream, String entry, long token, int attempt, String notify, Map<String, Object> spec,
        int failures) {
      this.id = id;
      this.notify = notify;
      this.spec = spec;
      this.failures = failures;
      this.stream = stream;
      this.entry = entry;
      this.token = token;
      this.attempt = attempt;
      this.key = stream + ' ' + entry;
    }
  }

  private Worker(WorkerOptions options) {
    this.options = options;
    this.log = io.drover.core.Log.of("worker", options.workerId());
    this.beatOutage = new Outage("heartbeat", log::warn);
    this.keys = new Keys(options.queue());
    List<String> all = new ArrayList<>(List.of(keys.workerStream(options.workerId()))); // its own first
    all.addAll(keys.streamsFor(options.tags()));
    this.streams = List.copyOf(all);
    this.slots = new Semaphore(options.concurrency());
    this.unrecorded = new Semaphore(options.concurrency());
    this.heartbeat = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("drover-heartbeat").factory());
  }

  /** Connects, checks Redis, registers the worker and starts claiming. */
  public static Worker start(WorkerOptions options) {
    Worker w = new Worker(options);
    w.store = WorkerStore.open(options.redisUrl(), options.workerId(), w.keys, w.streams);
    w.decoder = new AttemptDecoder(w.store, options.kinds());
    try {
      Workdirs.sweepDefaults(options.workdir());
      Files.createDirectories(options.workdir());
    } catch (IOException | RuntimeException e) {
      w.closeConnections();
      throw new DroverException("cannot start the worker: " + e.getMessage(), e);
    }
    w.writeRecord("running");
    long beat = w.beatMillis();
    w.heartbeat.scheduleWithFixedDelay(w::beat, beat, beat, TimeUnit.MILLISECONDS);
    w.claimer = Thread.ofPlatform().name("drover-claimer").daemon().start(w::claimLoop);
    w.completer = Thread.ofPlatform().name("drover-completer").daemon().start(w::completeLoop);
    return w;
  }

  /** Where this worker's tasks get their private directories. */
  public Path workdir() {
    return options.workdir();
  }

  public String id() {
    return options.workerId();
  }

  public WorkerOptions options() {
    return options;
  }

  /** Ids of the tasks running here now. */
  public List<String> running() {
    return held.values().stream().map(h -> h.id).distinct().toList();
  }

  // ---- claiming ----

  private void claimLoop() {
    Outage outage = new Outage("claiming tasks", log::warn);
    long nextReclaim = 0;
    while (claiming) {
      int permits = 0;
      try {
        if (draining) {
          Thread.sleep(100);
          continue;
        }
        if (!slots.tryAcquire(200, TimeUnit.MILLISECONDS)) continue;
        permits = 1 + slots.drainPermits();
        // Under load slots come back one by one; gather some for up to a millisecond, so that one read and one
        // claim serve many tasks. At low load every slot is free and nothing waits.
        long gatherUntil = System.nanoTime() + GATHER_NANOS;
        long left;
        while (permits < options.concurrency() / 2 && (left = gatherUntil - System.nanoTime()) > 0) {
          if (slots.tryAcquire(left, TimeUnit.NANOSECONDS)) permits += 1 + slots.drainPermits();
        }
        if (!claiming) break;
        if (System.nanoTime() >= nextReclaim) {
          nextReclaim = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(beatMillis());
          permits -= reclaim(permits);
          if (permits == 0) continue;
        }
        permits -= read(permits);
        outage.succeeded();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        if (claiming) sleepQuietly(outage.failed(e));
      } finally {
        if (permits > 0) slots.release(permits);
      }
    }
  }

  /**
   * Reads at most {@code permits} new entries and starts them; returns how many started. Without a script: plain
   * XREADGROUP of this worker's own stream first, then the shared ones, each asked for what the ones before left,
   * and the entries start as they came (an entry carries what its attempt needs). Only when nothing was there
   * does it block: one XREADGROUP over every stream (COUNT free/n each, 500 ms). No read brings more entries than
   * there are free slots. With the first read goes a look at the queue's set of tasks followed while queued (one
   * round trip for both): while it is not empty, new entries go through the claim script, which writes their
   * RUNNING events.
   */
  private int read(int permits) throws InterruptedException {
    if (draining || !claiming) return 0;
    var followers = store.followersPresent();
    List<WorkerStore.Delivery> got = new ArrayList<>();
    int left = permits;
    for (String stream : readOrder()) {
      if (left <= 0) break;
      List<WorkerStore.Delivery> m = store.readNew(stream, left);
      got.addAll(m);
      left -= m.size();
    }
    following = WorkerStore.await(followers); // not known: true, and the script looks
    if (!got.isEmpty()) return startAttempts(got, true);
    int n = streams.size();
    if (permits >= n) return startAttempts(store.blockingRead(streams, permits / n, Duration.ofMillis(500)), true);
    Thread.sleep(10); // more streams than free slots (a worker with many tags): look again soon
    return 0;
  }

  /** This worker's own stream, then the shared ones starting one further each time (fair among tagged streams). */
  private List<String> readOrder() {
    int n = streams.size();
    if (n == 2) return streams;
    List<String> order = new ArrayList<>(n);
    order.add(streams.get(0));
    int from = nextStream++ % (n - 1);
    for (int i = 0; i < n - 1; i++) order.add(streams.get(1 + (from + i) % (n - 1)));
    return order;
  }

  /** Starts delivered entries, stream by stream; returns how many attempts started. */
  private int startAttempts(List<WorkerStore.Delivery> messages, boolean fresh) {
    if (messages.isEmpty()) return 0;
    Map<String, List<WorkerStore.Delivery>> byStream = new LinkedHashMap<>();
    for (WorkerStore.Delivery m : messages) byStream.computeIfAbsent(m.stream(), k -> new ArrayList<>()).add(m);
    int started = 0;
    for (Map.Entry<String, List<WorkerStore.Delivery>> e : byStream.entrySet()) {
      started += startAttempts(e.getKey(), e.getValue(), fresh);
    }
    return started;
  }

  /**
   * Starts entries of one stream this worker was delivered; returns how many attempts started (each holds a slot
   * until it ends). A fresh entry (delivered for the first time, by a read of new entries) that is well formed starts
   * at once: its delivery count, the token, is 1. The others go through the claim script in one call: entries
   * taken over after a lease lapsed (it checks them against the task's record and dead-letters poison tasks),
   * entries that are not tasks (it sets them aside with the reason), and all of them while someone follows a queued
   * task of the queue.
   */
  private int startAttempts(String stream, List<WorkerStore.Delivery> messages, boolean fresh) {
    if (draining || !claiming) { // the read was waiting when the worker began to drain or stop: give them back
      store.release(stream, messages.stream().map(WorkerStore.Delivery::entry).toList());
      return 0;
    }
    List<Held> ready = new ArrayList<>(messages.size());
    List<String> viaScript = new ArrayList<>();
    for (WorkerStore.Delivery m : messages) {
      Map<String, String> f = m.fields();
      int attempt = TaskCodec.integer(f.get("attempts")) + 1;
      int failures = TaskCodec.integer(f.get("failures"));
      // delivered over and over without an outcome (moved from stream to stream after crashing its workers): the
      // script dead-letters it
      boolean poison = attempt - failures
          > Math.max(1, TaskCodec.integer(f.get("max_attempts"))) + options.maxRedeliveries();
      // not a task, or a spec that is no JSON object: the claim script sets it aside with the reason
      Map<String, Object> spec = fresh && !following && !poison && TaskCodec.isEntry(f, keys.queue())
          ? TaskCodec.specObject(f.get("spec")) : null;
      if (spec != null) {
        Held h = new Held(f.get("id"), stream, m.entry(), 1, attempt, f.getOrDefault("notify", ""), spec, failures);
        if ("1".equals(f.get("followed"))) runningEvent(h); // a retry of a followed task
        ready.add(h);
      } else {
        viaScript.add(m.entry());
      }
    }
    if (!viaScript.isEmpty()) ready.addAll(claim(stream, viaScript));
    startAll(ready);
    return ready.size();
  }

  /**
   * Runs attempts of tasks this worker now holds. Their followers (a run's dispatcher) hear where they run, one
   * {@code started} entry per follower for all of them ({@code runs status} shows the worker).
   */
  private void startAll(List<Held> ready) {
    Map<String, List<String>> byFollower = new LinkedHashMap<>();
    for (Held h : ready) if (!h.notify.isEmpty()) byFollower.computeIfAbsent(h.notify, k -> new ArrayList<>()).add(h.id);
    byFollower.forEach(store::announceStarted);
    for (Held h : ready) {
      held.put(h.key, h);
      attempts.execute(() -> runAttempt(h));
    }
  }

  /**
   * The log lines of one attempt, for its task's event stream (and its follower's). They go in order, many to a
   * call of the {@code log} script, which writes them only while this worker still holds the task's lease: a
   * worker that was paused or cut off and wakes up after another took the task over never appends lines after
   * that task's end (a line written without that check could reach Redis any time later). One call at a time per
   * attempt; while {@value #PENDING_LINES} lines wait, the task's output waits too. Thread-safe.
   */
  private final class Lines {
    private final Held h;
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
    private final java.util.concurrent.locks.Condition changed = lock.newCondition();
    private final java.util.ArrayDeque<String> pending = new java.util.ArrayDeque<>();
    private boolean writing;

    Lines(Held h) {
      this.h = h;
    }

    void add(String line) {
      lock.lock();
      try {
        while (pending.size() >= PENDING_LINES && !h.lost) changed.awaitUninterruptibly();
        if (h.lost) return;
        pending.add(line);
        if (!writing) {
          writing = true;
          Thread.ofVirtual().name("drover-lines-" + h.id).start(this::drain);
        }
      } finally {
        lock.unlock();
      }
    }

    private void drain() {
      while (true) {
        List<String> batch = new ArrayList<>();
        lock.lock();
        try {
          while (batch.size() < LINES_PER_WRITE && !pending.isEmpty()) batch.add(pending.poll());
          if (batch.isEmpty()) {
            writing = false;
            changed.signalAll();
            return;
          }
          changed.signalAll();
        } finally {
          lock.unlock();
        }
        if (!write(batch)) {
          leaseLost(h);
          lock.lock();
          try {
            pending.clear();
          } finally {
            lock.unlock();
          }
        }
      }
    }

    /** One fenced write; false when someone else holds the task now. Lines Redis could not take are dropped. */
    private boolean write(List<String> batch) {
      boolean first;
      synchronized (h) {
        first = !h.runningEventWritten;
        h.runningEventWritten = true;
      }
      try {
        return store.log(h.lease(), h.attempt, first, h.notify, batch);
      } catch (RuntimeException e) {
        return true; // Redis away: these lines are lost with it, as an outcome would be
      }
    }

    /** Waits until every line added is written or dropped. */
    void awaitWritten() {
      lock.lock();
      try {
        while (writing) changed.awaitUninterruptibly();
      } finally {
        lock.unlock();
      }
    }
  }

  /** Someone else holds the task now (the heartbeat or a fenced write found out): its attempt is stopped. */
  private static void leaseLost(Held h) {
    h.lost = true;
    h.cancellation.cancel(Cancellation.Cause.CANCELLED, "lease lost: another worker holds the task now");
  }

  /** Writes the attempt's RUNNING event (for a followed task, or before its first log line), once. */
  private void runningEvent(Held h) {
    synchronized (h) {
      if (h.runningEventWritten) return;
      h.runningEventWritten = true;
      store.runningEvent(h.id, h.attempt);
    }
  }

  /**
   * Runs the claim script on entries of one stream this worker was delivered and starts an attempt for each task
   * it took; returns how many started. Entries that are not tasks were set aside by the script; they are logged.
   */
  private List<Held> claim(String stream, List<String> entries) {
    List<Held> taken = new ArrayList<>(entries.size());
    for (WorkerStore.Claimed c : store.claim(stream, entries, options.maxRedeliveries(), TaskCodec.nowMicros())) {
      switch (c) {
        case WorkerStore.SetAside a -> log.warn("set aside stream entry " + a.entry() + " of " + stream + ": " + a.reason());
        case WorkerStore.DeadLettered d -> log.warn("dead-lettered task " + d.taskId() + ": delivered " + d.deliveries()
            + " times and every worker that had it stopped before it ended (a poison task?); drover task status " + d.taskId());
        case WorkerStore.Taken t -> {
          Held h = new Held(t.taskId(), stream, t.entry(), t.token(), t.attempt(), t.follower(),
              Objects.requireNonNullElse(TaskCodec.specObject(t.spec()), Map.of()), t.failures());
          h.runningEventWritten = t.runningEventWritten(); // followed: the claim wrote it
          taken.add(h);
        }
      }
    }
    return taken;
  }

  // ---- running ----

  @SuppressWarnings("unchecked")
  private void runAttempt(Held h) {
    boolean suspect = h.token >= SUSPECT_DELIVERIES;
    boolean turn = suspect && awaitSuspectTurn(h);
    if (suspect && !turn) h.handBack = true; // the worker began to stop while it waited: it never started
    try {
      runHeld(h);
    } finally {
      if (turn) suspects.release();
    }
  }

  /**
   * An entry delivered {@value #SUSPECT_DELIVERIES} times or more ended twice without an outcome: its workers
   * stopped under it, maybe because of it (a task that kills its worker takes the tasks beside it down too). Such
   * attempts run one at a time here, so when one crashes the worker again it is the only suspect that dies with it:
   * a healthy task that shared a worker with a poison task is never dead-lettered as one. Returns false if the
   * worker began to stop while it waited.
   */
  private boolean awaitSuspectTurn(Held h) {
    log.warn("task " + h.id + " was delivered " + h.token + " times without an outcome; it runs alone among such tasks here");
    try {
      while (!suspects.tryAcquire(100, TimeUnit.MILLISECONDS)) {
        if (h.cancellation.isCancelled()) return false;
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void runHeld(Held h) {
    TaskOutcome outcome;
    // the id was checked (Keys.isTaskIdOf), and the entry makes duplicate deliveries of one task use two directories
    Path dir = options.workdir().resolve(h.id + "-" + h.attempt + "-" + h.entry);
    Map<String, Object> s = h.spec;
    // set by the runner when the attempt made or used its directory: only then is there one to remove
    java.util.concurrent.atomic.AtomicBoolean dirUsed = new java.util.concurrent.atomic.AtomicBoolean();
    try {
      AttemptDecoder.Decoded d = decoder.decode(h.id, h.attempt, s);
      TaskRequest request = d.request();
      TaskRunner runner = d.runner();
      TaskSpec spec = request.task();
      if (options.logTasks()) log.info("started " + h.id + " (attempt " + h.attempt + ")");
      io.drover.core.engine.SecretMasker m = io.drover.core.engine.SecretMasker.ofMaps(request.params(), spec.env());
      h.lines = new Lines(h);
      outcome = runner.run(request, new TaskContext(dir, dir.resolve(".drover"), line -> h.lines.add(m.mask(line)),
          h.cancellation, dirUsed));
      outcome = new TaskOutcome(outcome.status(), m.mask(outcome.message()), outcome.outputs());
    } catch (Exception e) {
      outcome = TaskOutcome.failed("the worker could not run it: " + e.getMessage());
    } catch (Throwable e) { // an Error (out of memory, stack overflow) ends the attempt like any failure
      outcome = TaskOutcome.failed(TaskOutcome.describe(e));
    } finally {
      if (h.lines != null) h.lines.awaitWritten(); // its lines go before its end
      if (dirUsed.get()) Workdirs.deleteQuietly(dir);
    }
    if (h.handBack) {
      try {
        store.handBack(h.lease(), h.attempt);
      } catch (RuntimeException e) {
        log.warn("could not hand " + h.id + " back (its lease will lapse): " + e.getMessage());
      } finally {
        release(h);
      }
      return;
    }
    long due = 0; // when a retry is due, if this failure leaves one
    if (outcome.status() == TaskOutcome.Status.FAILED) {
      due = options.clock().millis()
          + TaskCodec.backoff(s).delayBefore(h.failures + 2, java.util.concurrent.ThreadLocalRandom.current()).toMillis();
    }
    // The lease stays with the task until its outcome is recorded (the heartbeat renews what is held); its slot goes
    // to the next task now, unless recording has fallen behind.
    unrecorded.acquireUninterruptibly();
    slots.release();
    done.add(new Done(h, outcome, due));
  }

  /** An attempt that will not be recorded (handed back): its task and its slot are let go. */
  private void release(Held h) {
    held.remove(h.key);
    slots.release();
  }

  /** An attempt whose outcome was recorded, refused or lost with Redis: its task is let go. */
  private void recorded(Held h) {
    held.remove(h.key);
    unrecorded.release();
  }

  /** Records finished attempts, many per script call; runs on its own thread. */
  private void completeLoop() {
    List<Done> batch = new ArrayList<>(COMPLETE_BATCH);
    while (true) {
      try {
        Done first = done.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          if (stopping.get() && held.isEmpty()) return;
          continue;
        }
        batch.add(first);
        done.drainTo(batch, COMPLETE_BATCH - 1);
        record(batch);
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // Redis unreachable: these outcomes are lost with it; the leases lapse and the tasks run again.
        log.warn("could not record " + batch.size() + " outcomes (their tasks will run again): " + e.getMessage());
        for (Done d : batch) recorded(d.held());
      } finally {
        batch.clear();
      }
    }
  }

  private void record(List<Done> batch) {
    List<WorkerStore.Outcome> outcomes = new ArrayList<>(batch.size());
    List<Done> sent = new ArrayList<>();
    for (Done d : batch) {
      Held h = d.held();
      if (h.lost) {
        finish(d, false);
        continue;
      }
      TaskOutcome o = d.outcome();
      boolean evented;
      synchronized (h) {
        evented = h.runningEventWritten;
      }
      outcomes.add(new WorkerStore.Outcome(h.id, h.stream, h.entry, h.token, h.attempt, h.startedUs,
          o.status().name(), o.message(), o.outputs().isEmpty() ? "{}" : Json.write(o.outputs()), d.retryDueMillis(),
          evented, h.notify)); // status SKIPPED: run_if was false
      sent.add(d);
    }
    if (sent.isEmpty()) return;
    // The script reads this worker's pending entries of each stream in one XPENDING. What the worker holds (running
    // or waiting to be recorded) bounds them, but for leftovers of lost leases; should a reply be full, the script
    // looks up the entries it did not bring one by one.
    List<Boolean> accepted = store.complete(outcomes, options.retention(), TaskCodec.nowMicros(), 2 * held.size() + 16);
    for (int i = 0; i < sent.size(); i++) finish(sent.get(i), accepted.get(i));
  }

  private void finish(Done d, boolean accepted) {
    Held h = d.held();
    try {
      if (accepted) {
        processed.incrementAndGet();
        if (d.outcome().status() == TaskOutcome.Status.FAILED) failed.incrementAndGet();
        if (options.logTasks()) {
          String m = d.outcome().message();
          log.info("ended " + h.id + " (attempt " + h.attempt + "): " + d.outcome().status().name().toLowerCase(java.util.Locale.ROOT)
              + (m == null || m.isEmpty() ? "" : ": " + (m.length() > 200 ? m.substring(0, 200) + "..." : m)));
        }
      } else {
        log.warn("outcome of " + h.id + " attempt " + h.attempt + " refused: another worker holds the task now");
      }
      options.onTaskDone().onTaskDone(h.id, h.attempt, d.outcome(), accepted);
    } catch (RuntimeException e) {
      log.warn("onTaskDone failed for " + h.id + ": " + e);
    } finally {
      recorded(h);
    }
  }

  // ---- heartbeat ----

  private final Outage beatOutage;

  private void beat() {
    try {
      renewLeases();
      // acknowledged entries stay in the streams until this trim (one XTRIM of whole nodes, not an XDEL per task)
      for (String stream : streams) store.trim(stream);
      store.promoteDue(options.clock().millis(), 500);
      boolean drain = store.drainRequested();
      if (drain != draining) log.info(drain ? "draining: no new tasks; " + held.size() + " running go on" : "resumed: claiming again");
      draining = drain;
      writeRecord(stopping.get() ? "stopping" : draining ? "draining" : "running");
      // Records expire after the retention; the index's minutes go with them (their lists expire by themselves).
      store.prune(System.currentTimeMillis() - options.retention().toMillis());
      beatOutage.succeeded();
    } catch (RuntimeException e) {
      beatOutage.failed(e); // the next beat comes at its time; leases this worker cannot renew lapse meanwhile
    }
  }

  private void renewLeases() {
    List<Held> now = new ArrayList<>(held.values());
    if (now.isEmpty()) return;
    List<WorkerStore.Renewal> r = store.renew(now.stream().map(Held::lease).toList());
    for (int i = 0; i < now.size(); i++) {
      Held h = now.get(i);
      switch (r.get(i)) {
        case CANCEL_REQUESTED -> h.cancellation.cancel(Cancellation.Cause.CANCELLED, "cancelled on request");
        case LOST -> leaseLost(h);
        case RENEWED -> { }
      }
    }
  }

  /**
   * Takes over entries whose lease lapsed (their worker stopped heartbeating), up to {@code free} of them; runs on
   * the claimer, which holds the free slots. Returns how many attempts started.
   */
  private int reclaim(int free) {
    int started = 0;
    for (String stream : streams) {
      if (started >= free) break;
      List<WorkerStore.Delivery> live = store.reclaim(stream, options.lease(), free - started);
      if (!live.isEmpty()) started += startAttempts(stream, live, false);
    }
    return started;
  }

  private long beatMillis() {
    return Math.max(100, Math.min(Math.min(options.lease().toMillis(), options.recordTtl().toMillis()) / 3, 10_000));
  }

  private void writeRecord(String status) {
    Map<String, String> r = new LinkedHashMap<>();
    r.put("id", options.workerId());
    r.put("status", status);
    r.put("queue", options.queue());
    r.put("concurrency", Integer.toString(options.concurrency()));
    r.put("processed", Long.toString(processed.get()));
    r.put("failed", Long.toString(failed.get()));
    r.put("running", String.join(",", running()));
    r.put("started_at", startedAt.toString());
    r.put("last_heartbeat", Instant.now().toString());
    r.put("hostname", hostname());
    r.put("version", Version.current());
    r.put("ttl_ms", Long.toString(options.recordTtl().toMillis()));
    r.put("tags", String.join(",", options.tags().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).sorted().toList()));
    store.writeRecord(r, options.recordTtl().multipliedBy(10));
  }

  // ---- stopping ----

  /** Stops claiming; running tasks get the grace period, then are handed back. Returns at once. Idempotent. */
  @Override
  public void shutdown() {
    stop(options.grace());
  }

  /** Stops claiming and hands every running task back at once. Returns at once. Idempotent. */
  @Override
  public void shutdownNow() {
    stop(Duration.ZERO);
  }

  private void stop(Duration grace) {
    if (!stopping.compareAndSet(false, true)) {
      if (grace.isZero()) handBackAll(); // a second, impatient request
      return;
    }
    claiming = false;
    Thread.ofPlatform().name("drover-worker-stop").start(() -> {
      try {
        long deadline = System.nanoTime() + grace.toNanos();
        while (!held.isEmpty() && System.nanoTime() < deadline) sleepQuietly(20);
        handBackAll();
        long hard = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!held.isEmpty() && System.nanoTime() < hard) sleepQuietly(20);
        if (claimer != null) claimer.join(2000);
        if (completer != null) completer.join(2000);
        heartbeat.shutdownNow();
        attempts.shutdown();
        try {
          store.deleteRecord();
        } catch (RuntimeException e) {
          // Redis gone: the record expires by itself
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        closeConnections();
        if (Workdirs.isDefault(options.workdir())) Workdirs.deleteQuietly(options.workdir()); // nothing in it outlives the worker
        terminated.countDown();
      }
    });
  }

  private void handBackAll() {
    for (Held h : held.values()) {
      h.handBack = true;
      h.cancellation.cancel(Cancellation.Cause.CANCELLED, "worker stopping: task handed back to the queue");
    }
  }

  @Override
  public boolean isTerminated() {
    return terminated.getCount() == 0;
  }

  @Override
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return terminated.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    shutdown();
    try {
      awaitTermination(options.grace().plusSeconds(20));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void closeConnections() {
    if (store != null) store.close();
  }

  // ---- helpers ----


  private static String hostname() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return "unknown";
    }
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
