package io.drover.cluster.worker;

import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.Keys;
import io.drover.cluster.queue.RedisUrls;
import io.drover.cluster.queue.Scripts;
import io.drover.cluster.queue.TaskCodec;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.core.DroverException;
import io.drover.core.Version;
import io.drover.core.lua.Json;
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
import io.lettuce.core.Consumer;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.drover.cluster.queue.RedisLink;
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
 * its tasks to whichever live worker reclaims them (XAUTOCLAIM); every claim increments the task's attempt, and an
 * outcome is recorded only with the current attempt (checked inside the script), so a worker that was paused
 * and wakes up late can never complete a task that someone else holds now.
 */
public final class Worker implements AutoCloseable {
  private final WorkerOptions options;
  private final Keys keys;
  /**
   * The streams this worker reads: its own (tasks sent to it for affinity), the queue's plain one, and those of
   * every subset of its tags.
   */
  private final List<String> streams;
  private int nextStream;
  /** How many entries a read under load asks of this worker's own stream: doubles while they all come. Claimer only. */
  private int ownShare = 1;
  private final RedisLink mainConnection;
  private final RedisLink blockingConnection;
  private final RedisClusterCommands<String, String> redis;
  private final Semaphore slots;
  private final Map<String, Held> held = new ConcurrentHashMap<>();
  private final ExecutorService attempts = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("drover-attempt-", 0).factory());
  private final ScheduledExecutorService heartbeat;
  private final Map<String, LuaRuntime> luaSources = new ConcurrentHashMap<>();
  private final TaskRunner shellRunner;
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final CountDownLatch terminated = new CountDownLatch(1);
  private final AtomicLong processed = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final Instant startedAt = Instant.now();
  private volatile boolean claiming = true;
  /** Set by an operator through the worker's record (drover node drain): no new claims, running tasks go on. */
  private volatile boolean draining;
  private Thread claimer;

  private final java.util.concurrent.LinkedBlockingQueue<Done> done = new java.util.concurrent.LinkedBlockingQueue<>();
  private Thread completer;

  /** An attempt's outcome waiting to be recorded. */
  private record Done(Held held, TaskOutcome outcome, long retryDueMillis) {}

  /** Outcomes recorded by one script call at most. */
  private static final int COMPLETE_BATCH = 256;

  /** Under load, how long the claimer gathers returning slots so one read serves many tasks. */
  private static final long GATHER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  /** A task this worker runs now. */
  private static final class Held {
    final String id;
    final String entry;
    final int token;
    final Cancellation cancellation = new Cancellation();
    volatile boolean lost;
    volatile boolean handBack;
    /**
     * Whether this attempt's RUNNING event is in the task's event stream: the claim writes it for a followed task,
     * the worker with the first log line otherwise. Then the outcome goes there too.
     */
    boolean runningEventWritten;

    Held(String id, String entry, int token) {
      this.id = id;
      this.entry = entry;
      this.token = token;
    }
  }

  private Worker(WorkerOptions options) {
    this.options = options;
    this.keys = new Keys(options.queue());
    List<String> all = new ArrayList<>(List.of(keys.workerStream(options.workerId()))); // its own first
    all.addAll(keys.streamsFor(options.tags()));
    this.streams = List.copyOf(all);
    this.mainConnection = RedisLink.connect(options.redisUrl());
    try {
      this.blockingConnection = mainConnection.another();
    } catch (RuntimeException e) {
      mainConnection.close();
      throw new DroverException("cannot reach Redis at " + RedisUrls.masked(options.redisUrl()) + ": " + e.getMessage(), e, true);
    }
    this.redis = mainConnection.sync();
    this.slots = new Semaphore(options.concurrency());
    this.shellRunner = new TaskRunner(null, options.kinds());
    this.heartbeat = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("drover-heartbeat").factory());
  }

  /** Connects, checks Redis, registers the worker and starts claiming. */
  public static Worker start(WorkerOptions options) {
    Worker w = new Worker(options);
    try {
      w.redis.ping();
      for (String stream : w.streams) Client.ensureGroup(w.redis, stream);
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

  public String id() {
    return options.workerId();
  }

  public WorkerOptions options() {
    return options;
  }

  /** Ids of the tasks running here now. */
  public List<String> running() {
    return List.copyOf(held.keySet());
  }

  // ---- claiming ----

  private void claimLoop() {
    Consumer<String> me = Consumer.from(Keys.GROUP, options.workerId());
    RedisClusterCommands<String, String> blocking = blockingConnection.sync();
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
        permits -= read(blocking, me, permits);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        if (claiming) {
          log("claiming failed, trying again: " + e.getMessage());
          sleepQuietly(500);
        }
      } finally {
        if (permits > 0) slots.release(permits);
      }
    }
  }

  /**
   * Reads at most {@code permits} new entries and starts them; returns how many started. When every stream can get
   * a share of the free slots: one blocking read over all of them. Else this worker's own stream first (tasks sent
   * to it for affinity), without blocking; then, if nothing was there, one blocking read (100 ms) over the shared
   * streams when each can get a share, or the shared streams in turn without blocking. No read brings more entries
   * than there are free slots.
   */
  private int read(RedisClusterCommands<String, String> blocking, Consumer<String> me, int permits) throws InterruptedException {
    int n = streams.size();
    int own = Math.min(ownShare, permits / 2);
    int each = own == 0 ? 0 : (permits - own) / (n - 1);
    if (each > 0) {
      // Under load: this worker's own stream gets a small share that grows while it fills it, the shared ones the
      // rest, in one round trip without blocking. (One read over all streams would split the slots evenly, and
      // the own stream is mostly empty: claims would come in half the size.)
      var async = blockingConnection.async();
      var ownRead = async.xreadgroup(me, XReadArgs.Builder.count(own), XReadArgs.StreamOffset.lastConsumed(streams.get(0)));
      var sharedRead = async.xreadgroup(me, XReadArgs.Builder.count(each), offsets(streams.subList(1, n)));
      List<StreamMessage<String, String>> ownGot = awaitRead(ownRead), sharedGot = awaitRead(sharedRead);
      ownShare = ownGot.size() >= own ? Math.min(own * 2, options.concurrency()) : Math.max(1, ownGot.size());
      if (!ownGot.isEmpty() || !sharedGot.isEmpty()) return startAttempts(ownGot) + startAttempts(sharedGot);
    }
    if (permits >= n) return startAttempts(blocking.xreadgroup(me, XReadArgs.Builder.count(permits / n).block(500), offsets(streams)));
    int started = startAttempts(blocking.xreadgroup(me, XReadArgs.Builder.count(permits),
        XReadArgs.StreamOffset.lastConsumed(streams.get(0))));
    if (started > 0) return started;
    List<String> shared = streams.subList(1, n);
    if (permits >= shared.size()) {
      return startAttempts(blocking.xreadgroup(me, XReadArgs.Builder.count(permits / shared.size()).block(100), offsets(shared)));
    }
    for (int i = 0; i < shared.size() && started < permits; i++) {
      String stream = shared.get(nextStream++ % shared.size());
      started += startAttempts(blocking.xreadgroup(me, XReadArgs.Builder.count(permits - started),
          XReadArgs.StreamOffset.lastConsumed(stream)));
    }
    if (started == 0) Thread.sleep(10);
    return started;
  }

  private static List<StreamMessage<String, String>> awaitRead(io.lettuce.core.RedisFuture<List<StreamMessage<String, String>>> f)
      throws InterruptedException {
    try {
      return f.get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new io.lettuce.core.RedisCommandTimeoutException("read timed out");
    }
  }

  @SuppressWarnings("unchecked")
  private static XReadArgs.StreamOffset<String>[] offsets(List<String> streams) {
    XReadArgs.StreamOffset<String>[] offsets = new XReadArgs.StreamOffset[streams.size()];
    for (int i = 0; i < offsets.length; i++) offsets[i] = XReadArgs.StreamOffset.lastConsumed(streams.get(i));
    return offsets;
  }

  /** Starts delivered entries, one claim script call per stream; returns how many attempts started. */
  private int startAttempts(List<StreamMessage<String, String>> messages) {
    if (messages.isEmpty()) return 0;
    Map<String, List<StreamMessage<String, String>>> byStream = new LinkedHashMap<>();
    for (StreamMessage<String, String> m : messages) byStream.computeIfAbsent(m.getStream(), k -> new ArrayList<>()).add(m);
    int started = 0;
    for (Map.Entry<String, List<StreamMessage<String, String>>> e : byStream.entrySet()) started += startAttempts(e.getKey(), e.getValue());
    return started;
  }

  /**
   * Takes delivered entries of one stream in one script call; returns how many attempts started (each holds a
   * slot until it ends). Malformed entries are set aside first.
   */
  private int startAttempts(String stream, List<StreamMessage<String, String>> messages) {
    if (draining || !claiming) { // the read was waiting when the worker began to drain or stop: give them back
      String[] ids = messages.stream().map(StreamMessage::getId).toArray(String[]::new);
      Scripts.run(redis, Scripts.RELEASE, ScriptOutputType.INTEGER, new String[] {stream}, ids);
      return 0;
    }
    List<String> scriptKeys = new ArrayList<>(List.of(stream, keys.dead()));
    List<String> args = new ArrayList<>(List.of(options.workerId(), Long.toString(TaskCodec.nowMicros()),
        Integer.toString(options.maxRedeliveries())));
    List<StreamMessage<String, String>> taken = new ArrayList<>();
    for (StreamMessage<String, String> m : messages) {
      Map<String, String> body = m.getBody() == null ? Map.of() : m.getBody();
      String problem = check(body);
      if (problem != null) {
        setAside(stream, m.getId(), body, problem);
        continue;
      }
      taken.add(m);
      scriptKeys.add(keys.task(body.get("id")));
      args.add(m.getId());
    }
    if (taken.isEmpty()) return 0;
    List<Object> r = Scripts.run(redis, Scripts.CLAIM, ScriptOutputType.MULTI, scriptKeys.toArray(new String[0]),
        args.toArray(new String[0]));
    int started = 0;
    for (int i = 0; i < taken.size(); i++) {
      int token = ((Long) r.get(2 * i)).intValue();
      if (token == 0) continue;
      StreamMessage<String, String> m = taken.get(i);
      List<?> fields = (List<?>) r.get(2 * i + 1); // spec, failures, notify, followed
      Map<String, String> record = new LinkedHashMap<>();
      if (fields.get(0) != null) record.put("spec", String.valueOf(fields.get(0)));
      if (fields.get(1) != null) record.put("failures", String.valueOf(fields.get(1)));
      if (fields.get(2) != null) record.put("notify", String.valueOf(fields.get(2)));
      Held h = new Held(m.getBody().get("id"), m.getId(), token);
      h.runningEventWritten = "1".equals(fields.get(3)); // followed: the claim wrote it
      held.put(h.id, h);
      attempts.execute(() -> runAttempt(h, record));
      started++;
    }
    return started;
  }

  /** Why an entry cannot be a task, or null. Bad entries never reach a runner. */
  private static String check(Map<String, String> body) {
    String v = body.get("v");
    if (v == null) return "no schema version (field v)";
    if (!v.equals("1")) return "schema version " + v + " is newer than this worker understands (1)";
    String id = body.get("id");
    if (id == null || id.length() > 160 || Keys.queueOf(id) == null) return "missing or bad task id";
    return null;
  }

  private void setAside(String stream, String entry, Map<String, String> body, String reason) {
    log("set aside stream entry " + entry + ": " + reason);
    Map<String, String> copy = new LinkedHashMap<>(body);
    copy.put("_reason", reason);
    copy.put("_entry", entry);
    redis.xadd(stream + ":rejected", io.lettuce.core.XAddArgs.Builder.maxlen(10_000).approximateTrimming(), copy);
    redis.xack(stream, Keys.GROUP, entry);
    redis.xdel(stream, entry);
  }

  // ---- running ----

  @SuppressWarnings("unchecked")
  private void runAttempt(Held h, Map<String, String> record) {
    TaskOutcome outcome;
    Path dir = options.workdir().resolve(h.id + "-" + h.token);
    Map<String, Object> s = TaskCodec.spec(record); // parsed once (JSON): it was parsed four times per task
    try {
      TaskRequest request;
      TaskRunner runner;
      if (TaskSubmission.WORKFLOW_KIND.equals(s.get("kind"))) { // a task of a workflow run on the fleet
        Map<String, Object> config = Json.read(String.valueOf(s.get("command"))) instanceof Map<?, ?> m
            ? (Map<String, Object>) m : Map.of();
        request = RequestCodec.read(String.valueOf(config.get("request")));
        String text = String.valueOf(config.getOrDefault("source_text", ""));
        runner = text.isEmpty() ? shellRunner : new TaskRunner(runtime(String.valueOf(config.get("source_name")), text), options.kinds());
      } else {
        TaskSpec spec = spec(h.id, s); // the runner creates the directories it needs
        request = new TaskRequest(h.id, spec, h.token, params(s), Map.of());
        runner = spec.command() instanceof Command.LuaFunction ? luaRunner(String.valueOf(s.get("command"))) : shellRunner;
      }
      TaskSpec spec = request.task();
      String events = keys.events(h.id);
      String attempt = Integer.toString(h.token);
      io.drover.core.engine.SecretMasker m = io.drover.core.engine.SecretMasker.ofMaps(request.params(), spec.env());
      var async = mainConnection.async(); // log lines go out without waiting for replies
      String notify = record.get("notify"); // a follower (a run's dispatcher) gets log lines on its own stream
      outcome = runner.run(request, new TaskContext(dir, dir.resolve(".drover"), line -> {
        String masked = m.mask(line);
        synchronized (h) { // stdout and stderr: one line at a time, the RUNNING event before the first
          if (!h.runningEventWritten) {
            h.runningEventWritten = true;
            async.xadd(events, io.lettuce.core.XAddArgs.Builder.maxlen(1000).approximateTrimming(),
                Map.of("type", "state", "state", "RUNNING", "attempt", attempt, "worker", options.workerId()));
          }
          async.xadd(events, io.lettuce.core.XAddArgs.Builder.maxlen(1000).approximateTrimming(),
              Map.of("type", "log", "attempt", attempt, "line", masked));
        }
        if (notify != null) {
          async.xadd(notify, io.lettuce.core.XAddArgs.Builder.maxlen(100_000).approximateTrimming(),
              Map.of("type", "log", "id", h.id, "line", masked));
        }
      }, h.cancellation));
      outcome = new TaskOutcome(outcome.status(), m.mask(outcome.message()), outcome.outputs());
    } catch (Exception e) {
      outcome = TaskOutcome.failed("the worker could not run it: " + e.getMessage());
    } finally {
      deleteQuietly(dir);
    }
    if (h.handBack) {
      try {
        Scripts.run(redis, Scripts.HANDBACK, ScriptOutputType.INTEGER, new String[] {keys.task(h.id), keys.stream()},
            Integer.toString(h.token), h.entry);
      } catch (RuntimeException e) {
        log("could not hand " + h.id + " back (its lease will lapse): " + e.getMessage());
      } finally {
        release(h);
      }
      return;
    }
    int failures = TaskCodec.integer(record.get("failures"));
    long due = System.currentTimeMillis() + TaskCodec.backoff(s).delayBefore(failures + 2, java.util.concurrent.ThreadLocalRandom.current()).toMillis();
    done.add(new Done(h, outcome, due)); // the slot and the lease stay with the task until it is recorded
  }

  private void release(Held h) {
    held.remove(h.id);
    slots.release();
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
        log("could not record " + batch.size() + " outcomes (their tasks will run again): " + e.getMessage());
        for (Done d : batch) release(d.held());
      } finally {
        batch.clear();
      }
    }
  }

  private void record(List<Done> batch) {
    List<String> scriptKeys = new ArrayList<>(List.of(keys.stream(), keys.delayed(), keys.dead()));
    List<String> args = new ArrayList<>(List.of(Long.toString(TaskCodec.nowMicros()),
        Long.toString(options.retention().toSeconds())));
    List<Done> sent = new ArrayList<>();
    for (Done d : batch) {
      if (d.held().lost) {
        finish(d, false);
        continue;
      }
      TaskOutcome o = d.outcome();
      String status = o.status().name(); // SKIPPED: run_if was false
      scriptKeys.add(keys.task(d.held().id));
      boolean evented;
      synchronized (d.held()) {
        evented = d.held().runningEventWritten;
      }
      args.addAll(List.of(Integer.toString(d.held().token), d.held().entry, status, o.message(), Json.write(o.outputs()),
          Long.toString(d.retryDueMillis()), evented ? "1" : "0"));
      sent.add(d);
    }
    if (sent.isEmpty()) return;
    List<Long> codes = Scripts.run(redis, Scripts.COMPLETE, ScriptOutputType.MULTI, scriptKeys.toArray(new String[0]),
        args.toArray(new String[0]));
    for (int i = 0; i < sent.size(); i++) finish(sent.get(i), codes.get(i) == 1);
  }

  private void finish(Done d, boolean accepted) {
    Held h = d.held();
    try {
      if (accepted) {
        processed.incrementAndGet();
        if (d.outcome().status() == TaskOutcome.Status.FAILED) failed.incrementAndGet();
      } else {
        log("outcome of " + h.id + " attempt " + h.token + " refused: another worker holds the task now");
      }
      options.onTaskDone().onTaskDone(h.id, h.token, d.outcome(), accepted);
    } catch (RuntimeException e) {
      log("onTaskDone failed for " + h.id + ": " + e);
    } finally {
      release(h);
    }
  }

  private static TaskSpec spec(String id, Map<String, Object> s) {
    String kind = String.valueOf(s.getOrDefault("kind", "shell"));
    String text = String.valueOf(s.getOrDefault("command", ""));
    Command command = switch (kind) {
      case "lua" -> new Command.LuaFunction("task", 1, "command");
      case "shell" -> new Command.Shell(text.isEmpty() ? "false" : text);
      default -> {
        @SuppressWarnings("unchecked")
        Map<String, Object> config = Json.read(text.isEmpty() ? "{}" : text) instanceof Map<?, ?> m
            ? (Map<String, Object>) m : Map.of();
        yield new Command.Plugin(kind, config);
      }
    };
    long timeout = number(s.get("timeout_ms"));
    Map<String, String> env = new LinkedHashMap<>();
    if (s.get("env") instanceof Map<?, ?> m) m.forEach((k, v) -> env.put(String.valueOf(k), String.valueOf(v)));
    return new TaskSpec(new TaskId("task", "main"), "", command, List.of(), Map.of(), env, "", 0, Backoff.DEFAULT,
        timeout > 0 ? Duration.ofMillis(timeout) : null, null, null, Keys.queueOf(id), Map.of(), null);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> params(Map<String, Object> s) {
    return s.get("params") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  private static long number(Object o) {
    return o instanceof Number n ? n.longValue() : 0;
  }

  /** A Lua task is the body of a function; it runs through the same runner as workflow functions. */
  private TaskRunner luaRunner(String body) {
    return new TaskRunner(runtime("task.lua",
        "TaskDefinitions = { task = { tasks = { { name = 'main', command = function(params, deps) " + body + "\nend } } } }"),
        options.kinds());
  }

  /** Interpreters per distinct source, so a workflow file is evaluated once per concurrent task, not per task. */
  private LuaRuntime runtime(String name, String text) {
    String key = name + "\0" + text;
    // A small cache; emptied (never inside compute) when it grows large.
    if (luaSources.size() > 256 && !luaSources.containsKey(key)) luaSources.clear();
    return luaSources.computeIfAbsent(key, k -> new LuaRuntime(new WorkflowSource(name, text)));
  }

  // ---- heartbeat ----

  private void beat() {
    try {
      renewLeases();
      // acknowledged entries stay in the streams until this trim (one XTRIM of whole nodes, not an XDEL per task)
      for (String stream : streams) Scripts.run(redis, Scripts.TRIM, ScriptOutputType.INTEGER, new String[] {stream});
      Scripts.run(redis, Scripts.PROMOTE, ScriptOutputType.INTEGER, new String[] {keys.delayed(), keys.stream()},
          Long.toString(System.currentTimeMillis()), "500", keys.taskPrefix());
      boolean drain = "1".equals(redis.hget(WorkerRecords.key(options.workerId()), WorkerRecords.DRAIN_FIELD));
      if (drain != draining) log(drain ? "draining: no new tasks; " + held.size() + " running go on" : "resumed: claiming again");
      draining = drain;
      writeRecord(stopping.get() ? "stopping" : draining ? "draining" : "running");
      // Records expire after the retention; their index entries go with them.
      long horizon = System.currentTimeMillis() - options.retention().toMillis();
      redis.zremrangebyscore(keys.index(), io.lettuce.core.Range.create(0, horizon));
      redis.zremrangebyscore(keys.dead(), io.lettuce.core.Range.create(0, horizon));
    } catch (RuntimeException e) {
      log("heartbeat failed: " + e.getMessage());
    }
  }

  private void renewLeases() {
    List<Held> now = new ArrayList<>(held.values());
    if (now.isEmpty()) return;
    List<String> args = new ArrayList<>();
    args.add(options.workerId());
    for (Held h : now) {
      args.add(keys.task(h.id));
      args.add(Integer.toString(h.token));
      args.add(h.entry);
    }
    List<Long> codes = Scripts.run(redis, Scripts.RENEW, ScriptOutputType.MULTI, new String[] {keys.stream()},
        args.toArray(new String[0]));
    for (int i = 0; i < now.size(); i++) {
      Held h = now.get(i);
      long code = codes.get(i);
      if (code == 2) {
        h.cancellation.cancel(Cancellation.Cause.CANCELLED, "cancelled on request");
      } else if (code == 0) {
        h.lost = true;
        h.cancellation.cancel(Cancellation.Cause.CANCELLED, "lease lost: another worker holds the task now");
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
      var claimed = redis.xautoclaim(stream, XAutoClaimArgs.Builder
          .xautoclaim(Consumer.from(Keys.GROUP, options.workerId()), options.lease(), "0-0").count(free - started));
      List<StreamMessage<String, String>> live = new ArrayList<>();
      for (StreamMessage<String, String> m : claimed.getMessages()) {
        if (m.getBody() != null && !m.getBody().isEmpty()) live.add(m); // deleted entries come back empty
      }
      if (!live.isEmpty()) started += startAttempts(stream, live);
    }
    return started;
  }

  private long beatMillis() {
    return Math.max(100, Math.min(Math.min(options.lease().toMillis(), options.recordTtl().toMillis()) / 3, 10_000));
  }

  private void writeRecord(String status) {
    String key = WorkerRecords.key(options.workerId());
    Map<String, String> r = new LinkedHashMap<>();
    r.put("id", options.workerId());
    r.put("status", status);
    r.put("queue", options.queue());
    r.put("concurrency", Integer.toString(options.concurrency()));
    r.put("processed", Long.toString(processed.get()));
    r.put("failed", Long.toString(failed.get()));
    r.put("running", String.join(",", held.keySet()));
    r.put("started_at", startedAt.toString());
    r.put("last_heartbeat", Instant.now().toString());
    r.put("hostname", hostname());
    r.put("version", Version.current());
    r.put("ttl_ms", Long.toString(options.recordTtl().toMillis()));
    r.put("tags", String.join(",", options.tags().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).sorted().toList()));
    redis.hset(key, r);
    // Kept well past its TTL, so a worker that vanished is listed as dead for a while before it is forgotten.
    redis.pexpire(key, 10 * options.recordTtl().toMillis());
    redis.sadd(WorkerRecords.SET, options.workerId());
  }

  // ---- stopping ----

  /** Stops claiming; running tasks get the grace period, then are handed back. Returns at once. Idempotent. */
  public void shutdown() {
    stop(options.grace());
  }

  /** Stops claiming and hands every running task back at once. Returns at once. Idempotent. */
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
          redis.del(WorkerRecords.key(options.workerId()));
          redis.srem(WorkerRecords.SET, options.workerId());
        } catch (RuntimeException e) {
          // Redis gone: the record expires by itself
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        closeConnections();
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
    try {
      blockingConnection.close();
      mainConnection.close();
    } catch (RuntimeException ignored) {
      // closing anyway
    }
  }

  // ---- helpers ----

  private void log(String message) {
    System.err.println(Instant.now() + " worker " + options.workerId() + ": " + message);
  }

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

  private static void deleteQuietly(Path dir) {
    if (!Files.exists(dir)) return;
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException e) {
      // a leftover directory of a finished attempt is harmless
    }
  }
}
