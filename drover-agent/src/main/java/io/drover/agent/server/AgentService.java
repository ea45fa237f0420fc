package io.drover.agent.server;

import io.drover.agent.sync.Applier;
import io.drover.agent.sync.BlobReceiver;
import io.drover.agent.sync.BlobSender;
import io.drover.agent.sync.Changes;
import io.drover.agent.sync.FileEntry;
import io.drover.agent.sync.FreshTree;
import io.drover.agent.sync.ListingBudget;
import io.drover.agent.sync.PathRules;
import io.drover.agent.sync.Scanner;
import io.drover.agent.sync.Transfer;
import io.drover.agent.sync.TransferRejected;
import io.drover.agent.sync.Trees;
import io.drover.agent.wire.AgentGrpc;
import io.drover.agent.wire.Down;
import io.drover.agent.wire.Entries;
import io.drover.agent.wire.InfoReply;
import io.drover.agent.wire.InfoRequest;
import io.drover.agent.wire.LogLines;
import io.drover.agent.wire.Pipe;
import io.drover.agent.wire.Ready;
import io.drover.agent.wire.Result;
import io.drover.agent.wire.Start;
import io.drover.agent.wire.Up;
import io.drover.core.Version;
import io.drover.core.lua.Json;
import io.drover.core.lua.LuaRuntime;
import io.drover.core.model.WorkflowSource;
import io.drover.core.process.Cancellation;
import io.drover.core.runner.RequestCodec;
import io.drover.core.runner.TaskContext;
import io.drover.core.runner.TaskKinds;
import io.drover.core.runner.TaskOutcome;
import io.drover.core.runner.TaskRequest;
import io.drover.core.runner.TaskRunner;
import io.drover.core.state.StateHandle;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The agent's side of the protocol (see agent.proto): each {@code Run} call is one attempt, handled as a plain
 * sequence on its own virtual thread, in a fresh private directory that is removed afterwards.
 */
final class AgentService extends AgentGrpc.AgentImplBase {
    private static final Logger LOG = Logger.getLogger(AgentService.class.getName());
    /** How long the agent waits for the master's next message during a transfer. */
    private static final long IDLE_SECONDS = 120;

    private final AgentOptions options;
    private final TaskKinds kinds;
    private final Semaphore slots;
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicLong sequence = new AtomicLong();
    private final Map<String, LuaRuntime> lua = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, LuaRuntime> eldest) {
            return size() > 16;
        }
    };
    private final Consumer<String> events;
    private final WorkspacePool pool;
    /** The tasks' state store, opened when a task first uses it. */
    private final StateHandle state;
    /** Bounds the listings received at once: they arrive before a slot is taken, so the slots do not bound them. */
    private final ListingBudget listings = ListingBudget.fromEnvironment();

    AgentService(AgentOptions options, TaskKinds kinds, Consumer<String> events) {
        this.options = options;
        this.kinds = kinds;
        this.slots = new Semaphore(options.maxTasks(), true);
        this.events = events;
        this.pool = new WorkspacePool(options.keepWorkspaces());
        this.state = StateHandle.of(options.stateUrl(), Path.of("").toAbsolutePath());
    }

    void close() {
        pool.clear();
        state.close();
    }

    @Override
    public void info(InfoRequest request, StreamObserver<InfoReply> reply) {
        reply.onNext(InfoReply.newBuilder()
                .setName(options.name())
                .setVersion(Version.current())
                .setRunning(running.get())
                .setMaxTasks(options.maxTasks())
                .setLoadAverage(loadAverage())
                .setCpus(Runtime.getRuntime().availableProcessors())
                .build());
        reply.onCompleted();
    }

    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    @Override
    public StreamObserver<Up> run(StreamObserver<Down> responses) {
        ServerCallStreamObserver<Down> out = (ServerCallStreamObserver<Down>) responses;
        out.disableAutoRequest();
        Pipe<Up, Down> pipe = new Pipe<>();
        Cancellation cancellation = new Cancellation();
        AtomicBoolean callCancelled = new AtomicBoolean();
        out.setOnCancelHandler(() -> {
            callCancelled.set(true);
            cancellation.cancel(Cancellation.Cause.CANCELLED, "the master cancelled the task");
        });
        pipe.attach(out, true);
        Thread.ofVirtual()
                .name("drover-agent-call-", sequence.incrementAndGet())
                .start(() -> serve(pipe, cancellation, callCancelled));
        return pipe;
    }

    private void serve(Pipe<Up, Down> pipe, Cancellation cancellation, AtomicBoolean callCancelled) {
        Path dir = null;
        String key = "";
        /* While the upload is received: a call cut off then leaves what arrived for the next one. */
        boolean receiving = false;
        boolean slot = false;
        String task = "?";
        ListingBudget.Hold listingMemory = listings.hold();
        try {
            Up first = next(pipe);
            if (first == null || !first.hasStart())
                throw Status.INVALID_ARGUMENT
                        .withDescription("the call must begin with Start")
                        .asRuntimeException();
            Start start = first.getStart();
            checkVersion(start.getClientVersion());
            TaskRequest request;
            try {
                request = RequestCodec.read(start.getRequestJson());
            } catch (IllegalArgumentException e) {
                throw Status.INVALID_ARGUMENT
                        .withDescription("bad task request: " + e.getMessage())
                        .asRuntimeException();
            }
            task = request.task().id() + " (attempt " + request.attempt() + ")";

            // 1. a kept directory of this workspace, listed (in the background) while the master lists its workspace;
            // when it holds the listing the master names as its base, the upload comes as a delta on top of it
            key = start.getWorkspaceKey();
            WorkspacePool.Kept kept = pool.take(key, start.getBaseListing());
            boolean delta = kept != null
                    && !start.getBaseListing().isEmpty()
                    && kept.id().equals(start.getBaseListing());
            pipe.send(Down.newBuilder()
                    .setReady(Ready.newBuilder().setHasBase(delta))
                    .build());
            Scanner scanner = new Scanner();
            CompletableFuture<List<FileEntry>> keptListing = null;
            if (kept != null) {
                dir = kept.dir();
                kept.entries().forEach(scanner::remember);
                Path keptWs = dir.resolve("ws");
                // listings leave out .drover/ at the root, so a reset would not remove what a task left there
                if (Files.exists(keptWs.resolve(Scanner.OWN_DIR), LinkOption.NOFOLLOW_LINKS))
                    Trees.delete(keptWs.resolve(Scanner.OWN_DIR));
                keptListing = new CompletableFuture<>();
                var f = keptListing;
                Scanner keptScanner = scanner;
                Thread.ofVirtual().start(() -> {
                    try {
                        // stat only, unless something changed since
                        f.complete(keptScanner.scan(keptWs, start.getExcludeList()));
                    } catch (Throwable t) {
                        f.completeExceptionally(t);
                    }
                });
            }

            // 2. the workspace listing, checked before anything is written; after a delta, the contents its base lacks
            receiving = true;
            Changes listing = Transfer.receiveEntries(
                    () -> {
                        Entries part = expect(pipe, Up::hasManifest).getManifest();
                        if (part.getDelta() != delta)
                            throw new TransferRejected("the listing came " + (delta ? "in full" : "as a delta")
                                    + " where the agent asked otherwise");
                        return part;
                    },
                    options.limits().maxFiles(),
                    listingMemory);
            List<FileEntry> manifest;
            Map<String, Long> pushed = Map.of();
            if (delta) {
                manifest = listing.applyTo(kept.entries());
                options.limits().check(manifest.size(), 0);
                Set<ByteBuffer> base = new HashSet<>();
                for (FileEntry e : kept.entries()) if (e.isFile()) base.add(ByteBuffer.wrap(e.hash()));
                pushed = Transfer.missing(
                        listing.written(),
                        h -> base.contains(ByteBuffer.wrap(HexFormat.of().parseHex(h))));
            } else {
                if (!listing.deleted().isEmpty()) throw new TransferRejected("an upload cannot delete paths");
                manifest = listing.written();
            }
            // the master's links travel as links, wherever they point (a venv's bin/python -> /usr/bin/python3)
            PathRules.checkAll(manifest, List.of(), options.limits(), PathRules.Links.ANYWHERE);
            Path staging = dir == null ? null : dir.resolve("staging");
            if (staging != null && Files.exists(staging)) Trees.delete(staging);
            if (!pushed.isEmpty()) {
                try (BlobReceiver receiver = new BlobReceiver(staging, pushed)) {
                    receiver.receiveAll(() -> expect(pipe, Up::hasBlobs).getBlobs());
                }
            }

            // 3. the kept directory (its contents need not travel again), else a fresh one; ask for the rest
            List<FileEntry> current = List.of();
            if (kept != null) {
                try {
                    current = keptListing.join();
                } catch (CompletionException e) {
                    Trees.delete(dir); // with whatever was pushed into it: asked for again below
                    kept = null;
                    pushed = Map.of();
                    scanner = new Scanner();
                }
            }
            if (kept == null) {
                dir = Files.createDirectories(options.workdir().resolve("tasks"))
                        .resolve(sequence.incrementAndGet() + "-" + Long.toHexString(System.nanoTime()));
                Files.createDirectories(dir.resolve("ws"));
                staging = dir.resolve("staging");
            }

            Path ws = dir.resolve("ws");
            // only what differs from the directory is written: its contents come pushed, from the directory itself (at
            // another path), or asked for
            Changes reset = Changes.between(current, manifest);
            Map<String, Long> arrived = pushed;
            Map<String, Path> have = new HashMap<>(); // content -> a path holding it, made only when asked
            List<FileEntry> on = current;
            boolean[] listed = {false};
            Map<String, Long> missing = Transfer.missing(reset.written(), h -> {
                if (arrived.containsKey(h)) return true;
                if (!listed[0]) {
                    for (FileEntry e : on) if (e.isFile()) have.putIfAbsent(e.hashHex(), ws.resolve(e.path()));
                    listed[0] = true;
                }
                return have.containsKey(h);
            });
            // a fresh directory is written in place as contents arrive; a kept one is reset from a staging area
            FreshTree fresh = kept == null ? new FreshTree(ws, manifest) : null;
            if (fresh != null) fresh.prepare();
            if (!missing.isEmpty()) {
                Transfer.sendHashes(
                        missing.keySet(),
                        h -> pipe.send(Down.newBuilder().setNeed(h).build()));
                try (BlobReceiver receiver = fresh != null
                        ? new BlobReceiver(ws, fresh::destination, missing)
                        : new BlobReceiver(staging, missing)) {
                    long bytes =
                            receiver.receiveAll(() -> expect(pipe, Up::hasBlobs).getBlobs());
                    events.accept("task " + task + ": " + (kept != null ? "kept directory, " : "") + "received "
                            + missing.size() + " contents, " + bytes + " bytes");
                }
            }

            // 4. the directory brought to the listing
            if (fresh != null) {
                fresh.finish();
            } else {
                if (!reset.isEmpty()) {
                    Files.createDirectories(staging); // also where replaced paths wait until the end
                    for (String hex : Transfer.missing(
                                    reset.written(), h -> arrived.containsKey(h) || missing.containsKey(h))
                            .keySet()) {
                        Files.copy(
                                have.get(hex),
                                staging.resolve(hex)); // content the directory has, needed at another path
                    }
                    new Applier(ws, staging).apply(reset);
                }
                if (Files.exists(staging)) Trees.delete(staging);
            }
            receiving = false;
            List<FileEntry> base = scanner.stamped(ws, manifest, current);
            Path scratch = dir.resolve("scratch");
            if (!Files.isDirectory(scratch)) {
                Files.createDirectories(scratch);
            } else {
                try (var left = Files.list(scratch)) {
                    for (Path p : left.toList()) Trees.delete(p);
                }
            }

            // 5. run it, a slot permitting
            slots.acquire();
            slot = true;
            running.incrementAndGet();
            TaskOutcome outcome;
            try {
                LuaRuntime rt = start.getSourceText().isEmpty()
                        ? null
                        : runtime(new WorkflowSource(start.getSourceName(), start.getSourceText()));
                TaskContext context = new TaskContext(
                        ws,
                        scratch,
                        line -> pipe.send(Down.newBuilder()
                                .setLog(LogLines.newBuilder().addLines(line))
                                .build()),
                        cancellation);
                events.accept("task " + task + ": started");
                outcome = new TaskRunner(rt, kinds, state).run(request, context);
            } finally {
                running.decrementAndGet();
            }
            events.accept("task " + task + ": " + outcome.status());
            if (callCancelled.get()) return; // nobody to tell; a timeout, though, is reported like any failure

            // 6. the result and the changes; then what the master asks for
            List<FileEntry> after = scanner.scan(ws, start.getExcludeList());
            Changes changes = Changes.between(base, after);
            String listingId =
                    pool.keeps() && !key.isEmpty() ? UUID.randomUUID().toString() : "";
            pipe.send(Down.newBuilder()
                    .setResult(Result.newBuilder()
                            .setStatus(outcome.status().name())
                            .setMessage(outcome.message())
                            .setOutputsJson(Json.write(outcome.outputs()))
                            .setListingId(listingId))
                    .build());
            Transfer.sendEntries(
                    changes.written(),
                    changes.deleted(),
                    e -> pipe.send(Down.newBuilder().setChanges(e).build()));
            Map<String, Path> offered = new LinkedHashMap<>();
            Map<String, Long> sizes = new LinkedHashMap<>();
            for (FileEntry e : changes.written()) {
                if (e.isFile()) {
                    offered.putIfAbsent(e.hashHex(), ws.resolve(e.path()));
                    sizes.putIfAbsent(e.hashHex(), e.size());
                }
            }
            if (!offered.isEmpty()) {
                List<String> asked =
                        Transfer.receiveHashes(() -> expect(pipe, Up::hasNeed).getNeed(), offered.size());
                BlobSender.send(
                        asked,
                        offered::get,
                        sizes::get,
                        b -> pipe.send(Down.newBuilder().setBlobs(b).build()));
            }
            // Kept before the master's last word, so its next task finds it. Whatever the master does with the changes,
            // the next task resets the directory to its own listing first.
            pool.give(new WorkspacePool.Kept(key, listingId, dir, after));
            dir = null;
            if (next(pipe) != null)
                throw Status.INVALID_ARGUMENT
                        .withDescription("unexpected message after the transfer")
                        .asRuntimeException();
            pipe.complete();
        } catch (TransferRejected e) {
            events.accept("task " + task + ": upload rejected: " + e.getMessage());
            pipe.fail(Status.INVALID_ARGUMENT.withDescription("upload rejected by the agent: " + e.getMessage()));
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.CANCELLED) events.accept("task " + task + ": " + e.getStatus());
            if (receiving && dir != null && pool.keeps() && !key.isEmpty()) {
                // The upload was cut off: what arrived (whole contents only; the one in flight was dropped) stays as
                // this workspace's kept directory, so the next call, listed against it, asks only for the rest.
                pool.give(new WorkspacePool.Kept(key, "partial-" + UUID.randomUUID(), dir, List.of()));
                dir = null;
                events.accept("task " + task + ": upload cut off; what arrived is kept for the next call");
            }
            cancellation.cancel(
                    Cancellation.Cause.CANCELLED,
                    "the call ended: " + e.getStatus().getCode());
            pipe.fail(e.getStatus());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pipe.fail(Status.UNAVAILABLE.withDescription("the agent is stopping"));
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "task " + task + " failed on the agent", e);
            pipe.fail(Status.INTERNAL.withDescription("agent error: " + e));
        } finally {
            if (slot) slots.release();
            listingMemory.close();
            if (dir != null) Trees.delete(dir);
        }
    }

    private void checkVersion(String client) {
        String mine = Version.majorMinor();
        String theirs = majorMinor(client);
        if (!mine.equals(theirs)) {
            throw Status.FAILED_PRECONDITION
                    .withDescription("version mismatch: the master is drover " + client + " and this agent is drover "
                            + Version.current() + " (major.minor must match)")
                    .asRuntimeException();
        }
    }

    static String majorMinor(String version) {
        String[] p = version.split("[.-]");
        return p.length >= 2 ? p[0] + "." + p[1] : version;
    }

    private synchronized LuaRuntime runtime(WorkflowSource source) {
        String key = source.name() + "\0"
                + HexFormat.of().formatHex(Scanner.sha256().digest(source.text().getBytes(StandardCharsets.UTF_8)));
        return lua.computeIfAbsent(key, k -> new LuaRuntime(source));
    }

    private static Up next(Pipe<Up, Down> pipe) {
        return pipe.receive(IDLE_SECONDS, TimeUnit.SECONDS);
    }

    private static Up expect(Pipe<Up, Down> pipe, Predicate<Up> what) {
        Up m = next(pipe);
        if (m == null)
            throw Status.CANCELLED.withDescription("the master closed the call").asRuntimeException();
        if (!what.test(m))
            throw Status.INVALID_ARGUMENT
                    .withDescription("unexpected message " + m.getBodyCase())
                    .asRuntimeException();
        return m;
    }
}
