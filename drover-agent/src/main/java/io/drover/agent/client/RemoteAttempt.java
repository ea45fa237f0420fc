package io.drover.agent.client;

import io.drover.agent.sync.Applier;
import io.drover.agent.sync.BlobReceiver;
import io.drover.agent.sync.BlobSender;
import io.drover.agent.sync.Changes;
import io.drover.agent.sync.FileEntry;
import io.drover.agent.sync.Limits;
import io.drover.agent.sync.Trees;
import io.drover.agent.sync.PathRules;
import io.drover.agent.sync.Scanner;
import io.drover.agent.sync.Transfer;
import io.drover.agent.sync.TransferRejected;
import io.drover.agent.wire.Down;
import io.drover.agent.wire.Pipe;
import io.drover.core.runner.RequestCodec;
import io.drover.agent.wire.Result;
import io.drover.agent.wire.Start;
import io.drover.agent.wire.Up;
import io.drover.core.Version;
import io.drover.core.lua.Json;
import io.drover.core.model.Durations;
import io.drover.core.model.WorkflowSource;
import io.drover.core.process.Cancellation;
import io.drover.core.process.TaskLog;
import io.drover.core.runner.TaskOutcome;
import io.drover.core.runner.TaskRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The master's side of one {@code Run} call (see agent.proto), run as a plain sequence on the attempt's thread.
 * Never throws: every failure becomes an outcome whose message names the agent.
 */
final class RemoteAttempt {
  /** The call's deadline is the task's timeout plus this, for moving the workspace both ways. */
  static final Duration TRANSFER_ALLOWANCE = Duration.ofMinutes(5);
  private static final long IDLE_SECONDS = 120;

  /** Bytes of file content sent to the agent, for tests and benchmarks. */

  private final AgentClient client;
  private final TaskRequest request;
  private final WorkflowSource source;
  private final Workspace workspace;
  private final Limits limits;
  private final TaskLog log;
  private final Cancellation cancel;
  volatile long sentBytes;

  RemoteAttempt(AgentClient client, TaskRequest request, WorkflowSource source, Workspace workspace, Limits limits,
      TaskLog log, Cancellation cancel) {
    this.client = client;
    this.request = request;
    this.source = source;
    this.workspace = workspace;
    this.limits = limits;
    this.log = log;
    this.cancel = cancel;
  }

  TaskOutcome run() {
    Pipe<Down, Up> pipe = new Pipe<>();
    AtomicReference<Pipe<Down, Up>> call = new AtomicReference<>(); // set once the call exists
    Duration timeout = request.task().timeout();
    var stub = client.stub();
    if (timeout != null) stub = stub.withDeadlineAfter(timeout.plus(TRANSFER_ALLOWANCE).toMillis(), TimeUnit.MILLISECONDS);
    Path staging = null;
    try (Cancellation.Registration ignored = cancel.onCancel(() -> {
      Pipe<Down, Up> c = call.get();
      if (c != null) c.cancel(cancel.reason());
    })) {
      if (cancel.isCancelled()) return stopped();
      stub.run(pipe);
      call.set(pipe);
      if (cancel.isCancelled()) pipe.cancel(cancel.reason());
      // 1. the task first, so the agent lists a directory it kept for this workspace while this side lists the
      // workspace; then the listing; then the contents the agent lacks
      Start.Builder start = Start.newBuilder().setClientVersion(Version.current()).setRequestJson(RequestCodec.write(request))
          .setWorkspaceKey(workspace.key);
      if (source != null) start.setSourceName(source.name()).setSourceText(source.text());
      pipe.send(Up.newBuilder().setStart(start).build());
      List<FileEntry> manifest;
      workspace.lock.readLock().lock();
      try {
        manifest = workspace.scanner.scan(workspace.root);
      } finally {
        workspace.lock.readLock().unlock();
      }
      Transfer.sendEntries(manifest, List.of(), e -> pipe.send(Up.newBuilder().setManifest(e).build()));
      Map<String, Path> local = new HashMap<>();
      Map<String, Long> sizes = new HashMap<>();
      for (FileEntry e : manifest) {
        if (e.isFile()) {
          local.putIfAbsent(e.hashHex(), workspace.root.resolve(e.path()));
          sizes.putIfAbsent(e.hashHex(), e.size());
        }
      }
      List<String> need = List.of();
      long sent = 0;
      if (Transfer.hasFiles(manifest)) {
        need = Transfer.receiveHashes(() -> expect(pipe, Down::hasNeed).getNeed(), local.size());
        sent = BlobSender.send(need, local::get, sizes::get, b -> pipe.send(Up.newBuilder().setBlobs(b).build()));
      }
      sentBytes = sent;

      // 2. log lines until the result
      Result result;
      while (true) {
        // no idle limit while the task runs: keepalive notices a dead agent, the deadline a stuck one
        Down m = expect(pipe, d -> d.hasLog() || d.hasResult(), Long.MAX_VALUE / 4);
        if (m.hasLog()) {
          m.getLog().getLinesList().forEach(log::line);
        } else {
          result = m.getResult();
          break;
        }
      }

      // 3. the changes: checked, contents gathered in a staging directory, then applied all or none
      Changes changes = Transfer.receiveEntries(() -> expect(pipe, Down::hasChanges).getChanges(), limits.maxFiles());
      PathRules.checkAll(changes.written(), changes.deleted(), limits);
      Path stage = workspace.root.resolve(Scanner.OWN_DIR).resolve("sync")
          .resolve(Long.toHexString(System.nanoTime()) + "-" + request.task().id().name());
      staging = changes.isEmpty() ? null : stage;
      Map<String, Long> wanted = Transfer.missing(changes.written(), local::containsKey);
      for (String hex : Transfer.missing(changes.written(), h -> !local.containsKey(h)).keySet()) {
        Files.createDirectories(stage);
        Files.copy(local.get(hex), stage.resolve(hex)); // content this side already has: copied, not sent
      }
      if (Transfer.hasFiles(changes.written())) {
        Transfer.sendHashes(wanted.keySet(), h -> pipe.send(Up.newBuilder().setNeed(h).build()));
        try (BlobReceiver receiver = new BlobReceiver(stage, wanted)) {
          receiver.receiveAll(() -> expect(pipe, Down::hasBlobs).getBlobs());
        }
      }
      if (!changes.isEmpty()) {
        workspace.lock.writeLock().lock();
        try {
          Files.createDirectories(stage); // also where replaced paths wait until the end
          Applier applier = new Applier(workspace.root, stage);
          applier.check(changes, Changes.byPath(manifest), client.target().toString());
          applier.apply(changes);
        } finally {
          workspace.lock.writeLock().unlock();
        }
      }
      pipe.complete(); // the agent ends the call in turn; nothing is left to wait for
      return outcome(result);
    } catch (TransferRejected e) {
      cancelCall(call, "rejected: " + e.getMessage());
      return TaskOutcome.failed("changes from agent " + client.target() + " rejected: " + e.getMessage());
    } catch (StatusRuntimeException e) {
      if (cancel.isCancelled()) return stopped();
      if (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED && timeout != null) {
        return TaskOutcome.failed("timed out after " + Durations.format(timeout) + " (agent " + client.target() + ")");
      }
      return TaskOutcome.failed(client.describe(e));
    } catch (IOException | RuntimeException e) {
      cancelCall(call, "master error");
      if (cancel.isCancelled()) return stopped();
      return TaskOutcome.failed("delegating to agent " + client.target() + " failed: " + e);
    } finally {
      if (staging != null && Files.exists(staging)) Trees.delete(staging);
    }
  }

  private TaskOutcome stopped() {
    return cancel.cause() == Cancellation.Cause.TIMED_OUT ? TaskOutcome.failed(cancel.reason()) : TaskOutcome.cancelled(cancel.reason());
  }

  private static void cancelCall(AtomicReference<Pipe<Down, Up>> call, String why) {
    Pipe<Down, Up> c = call.get();
    if (c != null) c.cancel(why);
  }

  @SuppressWarnings("unchecked")
  private static TaskOutcome outcome(Result r) {
    Object outputs = r.getOutputsJson().isEmpty() ? Map.of() : Json.read(r.getOutputsJson());
    Map<String, Object> out = outputs instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    TaskOutcome.Status status;
    try {
      status = TaskOutcome.Status.valueOf(r.getStatus());
    } catch (IllegalArgumentException e) {
      return TaskOutcome.failed("the agent reported an unknown status '" + r.getStatus() + "'");
    }
    return new TaskOutcome(status, r.getMessage(), out);
  }

  private static Down expect(Pipe<Down, Up> pipe, java.util.function.Predicate<Down> what) {
    return expect(pipe, what, IDLE_SECONDS);
  }

  private static Down expect(Pipe<Down, Up> pipe, java.util.function.Predicate<Down> what, long seconds) {
    Down m = pipe.receive(seconds, TimeUnit.SECONDS);
    if (m == null) throw Status.UNAVAILABLE.withDescription("the agent closed the call early").asRuntimeException();
    if (!what.test(m)) throw Status.INTERNAL.withDescription("unexpected message " + m.getBodyCase() + " from the agent").asRuntimeException();
    return m;
  }
}
