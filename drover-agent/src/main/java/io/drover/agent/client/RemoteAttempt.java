package io.drover.agent.client;

import io.drover.agent.sync.Applier;
import io.drover.agent.sync.BlobReceiver;
import io.drover.agent.sync.BlobSender;
import io.drover.agent.sync.Changes;
import io.drover.agent.sync.ContentChanged;
import io.drover.agent.sync.FileEntry;
import io.drover.agent.sync.Limits;
import io.drover.agent.sync.PathRules;
import io.drover.agent.sync.Scanner;
import io.drover.agent.sync.Transfer;
import io.drover.agent.sync.TransferRejected;
import io.drover.agent.sync.Trees;
import io.drover.agent.wire.Down;
import io.drover.agent.wire.Pipe;
import io.drover.agent.wire.Result;
import io.drover.agent.wire.Start;
import io.drover.agent.wire.Up;
import io.drover.core.Version;
import io.drover.core.lua.Json;
import io.drover.core.model.Durations;
import io.drover.core.model.WorkflowSource;
import io.drover.core.process.Cancellation;
import io.drover.core.process.TaskLog;
import io.drover.core.runner.RequestCodec;
import io.drover.core.runner.TaskOutcome;
import io.drover.core.runner.TaskRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

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
    /** What travelled, once the attempt's changes are applied (null before, or when it failed earlier). */
    volatile SyncStats stats;
    /** Whether links the task leaves pointing out of the workspace may come back (sync = { links_out = true }). */
    private final boolean linksOut;
    /** What the delegation keeps out of the transfers, on top of the workspace's .droverignore. */
    private final List<String> exclude;

    /** Files sent from a copy taken as they were listed (they changed while earlier tries sent them). */
    private final Set<Path> snapshot;
    /** A file found rewritten while this attempt sent it (nothing ran on the agent), or null. */
    volatile Path changedWhileSent;

    volatile long sentBytes;
    /** Listing entries sent (a delta counts only what it holds), for tests. */
    final java.util.concurrent.atomic.AtomicLong sentEntries = new java.util.concurrent.atomic.AtomicLong();

    RemoteAttempt(
            AgentClient client,
            TaskRequest request,
            WorkflowSource source,
            Workspace workspace,
            Limits limits,
            TaskLog log,
            Cancellation cancel,
            List<String> exclude,
            boolean linksOut,
            Set<Path> snapshot) {
        this.snapshot = Set.copyOf(snapshot);
        this.exclude = List.copyOf(exclude);
        this.linksOut = linksOut;
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
        if (timeout != null)
            stub = stub.withDeadlineAfter(timeout.plus(TRANSFER_ALLOWANCE).toMillis(), TimeUnit.MILLISECONDS);
        Path staging = null;
        snap = null;
        try (Cancellation.Registration ignored = cancel.onCancel(() -> {
            Pipe<Down, Up> c = call.get();
            if (c != null) c.cancel(cancel.reason());
        })) {
            if (cancel.isCancelled()) return stopped();
            stub.run(pipe);
            call.set(pipe);
            if (cancel.isCancelled()) pipe.cancel(cancel.reason());
            // 1. the task first, so the agent lists a directory it kept for this workspace while this side lists the
            // workspace; then the listing (in full, or as a delta on the listing the agent keeps, followed at once by
            // the
            // contents that base lacks); then whatever contents the agent asks for
            String agent = client.target().toString();
            Workspace.Base base = workspace.base(agent);
            Start.Builder start = Start.newBuilder()
                    .setClientVersion(Version.current())
                    // the workspace sent is the task's working directory: there the task runs at its root
                    .setRequestJson(RequestCodec.write(new TaskRequest(
                            request.runId(),
                            request.task().withWorkdir(""),
                            request.attempt(),
                            request.params(),
                            request.dependencyOutputs())))
                    .setWorkspaceKey(workspace.key)
                    .setBaseListing(base == null ? "" : base.id())
                    .addAllExclude(exclude);
            if (source != null) start.setSourceName(source.name()).setSourceText(source.text());
            pipe.send(Up.newBuilder().setStart(start).build());
            long upStarted = System.nanoTime();
            long upNanos = 0;
            int filesSent = 0;
            List<FileEntry> manifest;
            workspace.lock.readLock().lock();
            try {
                List<FileEntry> all = workspace.scanner.scan(workspace.root, exclude);
                manifest = client.target().sendsConfig()
                        ? all
                        : workspace.withoutKept(all); // the user's opt-in, per agent
            } finally {
                workspace.lock.readLock().unlock();
            }
            Map<String, Path> copies = new HashMap<>();
            if (!snapshot.isEmpty()) {
                snap = workspace.root.resolve(Scanner.OWN_DIR).resolve("sync").resolve("snap-" + System.nanoTime());
                manifest = snapshot(manifest, snap, copies);
            }
            long bytes = 0;
            for (FileEntry e : manifest) if (e.isFile()) bytes += e.size();
            limits.check(manifest.size(), bytes); // this side's limits hold for what it sends, too
            Contents local = new Contents(workspace.root, manifest, copies);
            long sent = 0;
            boolean delta = expect(pipe, Down::hasReady).getReady().getHasBase() && base != null;
            if (delta) {
                Changes diff = Changes.between(base.entries(), manifest);
                Transfer.sendEntries(
                        diff.written(),
                        diff.deleted(),
                        e -> pipe.send(Up.newBuilder()
                                .setManifest(e.toBuilder().setDelta(true))
                                .build()));
                sentEntries.addAndGet(diff.written().size() + diff.deleted().size());
                var held = base.contents();
                Map<String, Long> pushed = Transfer.missing(
                        diff.written(),
                        h -> held.contains(ByteBuffer.wrap(HexFormat.of().parseHex(h))));
                if (!pushed.isEmpty()) {
                    Contents changed = new Contents(workspace.root, diff.written(), copies);
                    filesSent += pushed.size();
                    sent += BlobSender.send(
                            List.copyOf(pushed.keySet()),
                            changed::path,
                            changed::size,
                            changed::stamp,
                            b -> pipe.send(Up.newBuilder().setBlobs(b).build()));
                }
            } else {
                Transfer.sendEntries(
                        manifest,
                        List.of(),
                        e -> pipe.send(Up.newBuilder().setManifest(e).build()));
                sentEntries.addAndGet(manifest.size());
            }
            upNanos += System.nanoTime() - upStarted;

            // 2. contents the agent asks for, log lines, until the result
            Result result;
            while (true) {
                // no idle limit while the task runs: keepalive notices a dead agent, the deadline a stuck one
                Down m = expect(pipe, d -> d.hasNeed() || d.hasLog() || d.hasResult(), Long.MAX_VALUE / 4);
                if (m.hasNeed()) {
                    boolean[] first = {true};
                    List<String> need = Transfer.receiveHashes(
                            () -> {
                                if (first[0]) {
                                    first[0] = false;
                                    return m.getNeed();
                                }
                                return expect(pipe, Down::hasNeed).getNeed();
                            },
                            local.count());
                    long askedAt = System.nanoTime();
                    filesSent += need.size();
                    sent += BlobSender.send(
                            need,
                            local::path,
                            local::size,
                            local::stamp,
                            b -> pipe.send(Up.newBuilder().setBlobs(b).build()));
                    upNanos += System.nanoTime() - askedAt;
                } else if (m.hasLog()) {
                    m.getLog().getLinesList().forEach(log::line);
                } else {
                    result = m.getResult();
                    break;
                }
            }
            sentBytes = sent;

            // 3. the changes: checked, contents gathered in a staging directory, then applied all or none
            long downStarted = System.nanoTime();
            long received = 0;
            Changes changes =
                    Transfer.receiveEntries(() -> expect(pipe, Down::hasChanges).getChanges(), limits.maxFiles());
            PathRules.checkAll(changes.written(), changes.deleted(), limits, linkRule());
            workspace.refuseKept(changes);
            List<FileEntry> after = changes.applyTo(manifest);
            // links resolved through what is here and what comes back; nothing written below a link, ever
            PathRules.checkTree(after, changes.written(), linkRule());
            workspace.agentKeeps(agent, result.getListingId(), after);
            // a task with artifacts brings back only those (the agent keeps the rest; the next upload says so)
            changes = changes.only(request.task().artifacts());
            Path stage = workspace
                    .root
                    .resolve(Scanner.OWN_DIR)
                    .resolve("sync")
                    .resolve(Long.toHexString(System.nanoTime()) + "-"
                            + request.task().id().name());
            staging = changes.isEmpty() ? null : stage;
            Map<String, Long> wanted = Transfer.missing(changes.written(), local::has);
            for (String hex :
                    Transfer.missing(changes.written(), h -> !local.has(h)).keySet()) {
                Files.createDirectories(stage);
                Files.copy(local.path(hex), stage.resolve(hex)); // content this side already has: copied, not sent
            }
            if (Transfer.hasFiles(changes.written())) {
                Transfer.sendHashes(
                        wanted.keySet(),
                        h -> pipe.send(Up.newBuilder().setNeed(h).build()));
                try (BlobReceiver receiver = new BlobReceiver(stage, wanted)) {
                    received = receiver.receiveAll(
                            () -> expect(pipe, Down::hasBlobs).getBlobs());
                }
            }
            if (!changes.isEmpty()) {
                workspace.lock.writeLock().lock();
                try {
                    Files.createDirectories(stage); // also where replaced paths wait until the end
                    Applier applier = new Applier(workspace.root, stage);
                    applier.check(
                            changes, Changes.byPath(manifest), client.target().toString());
                    applier.apply(changes);
                } finally {
                    workspace.lock.writeLock().unlock();
                }
            }

            pipe.complete(); // the agent ends the call in turn; nothing is left to wait for
            int filesBack = 0;
            for (FileEntry e : changes.written()) if (e.isFile()) filesBack++;
            stats = new SyncStats(
                    (int) sentEntries.get(),
                    filesSent,
                    sent,
                    upNanos / 1_000_000,
                    filesBack,
                    changes.deleted().size(),
                    received,
                    (System.nanoTime() - downStarted) / 1_000_000);
            log.line(stats.describe());
            return outcome(result);
        } catch (ContentChanged e) { // before the task ran there: the dispatcher lists again and tries once more
            changedWhileSent = e.file();
            cancelCall(call, "a file changed while it was sent");
            if (cancel.isCancelled()) return stopped();
            return TaskOutcome.failed("delegating to agent " + client.target() + " failed: " + e.getMessage());
        } catch (TransferRejected e) {
            cancelCall(call, "rejected: " + e.getMessage());
            return TaskOutcome.failed("changes from agent " + client.target() + " rejected: " + e.getMessage());
        } catch (StatusRuntimeException e) {
            if (cancel.isCancelled()) return stopped();
            if (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED && timeout != null) {
                return TaskOutcome.failed(
                        "timed out after " + Durations.format(timeout) + " (agent " + client.target() + ")");
            }
            return TaskOutcome.failed(client.describe(e));
        } catch (IOException | RuntimeException e) {
            cancelCall(call, "master error");
            if (cancel.isCancelled()) return stopped();
            return TaskOutcome.failed("delegating to agent " + client.target() + " failed: " + e);
        } finally {
            if (snap != null) {
                Trees.delete(snap);
                Trees.deleteIfEmpty(snap.getParent());
                Trees.deleteIfEmpty(snap.getParent().getParent());
            }
            if (staging != null && Files.exists(staging)) {
                Trees.delete(staging);
                // .drover/sync and .drover, when this made them and nothing else is there: no trace in a workdir
                Trees.deleteIfEmpty(staging.getParent());
                Trees.deleteIfEmpty(staging.getParent().getParent());
            }
        }
    }

    /** Where this attempt's copies of changing files are, or null. */
    private Path snap;

    /**
     * The listing with each file of {@link #snapshot} copied into {@code dir} as it is read, hashed as copied: what
     * goes is what was read, however the file goes on changing ({@code copies}: hash -> copy).
     */
    private List<FileEntry> snapshot(List<FileEntry> listing, Path dir, Map<String, Path> copies) throws IOException {
        List<FileEntry> out = new ArrayList<>(listing.size());
        for (FileEntry e : listing) {
            Path file = workspace.root.resolve(e.path());
            if (!e.isFile() || !snapshot.contains(file)) {
                out.add(e);
                continue;
            }
            Files.createDirectories(dir);
            Path copy = dir.resolve(Integer.toString(copies.size()));
            MessageDigest md = Scanner.sha256();
            long size;
            try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS);
                    OutputStream o = Files.newOutputStream(copy)) {
                size = new DigestInputStream(in, md).transferTo(o);
            } catch (NoSuchFileException gone) { // removed since it was listed: not part of the workspace
                continue;
            }
            byte[] hash = md.digest();
            copies.put(HexFormat.of().formatHex(hash), copy);
            out.add(new FileEntry(e.path(), e.kind(), e.mode(), size, hash, "", null, e.links()));
        }
        return out;
    }

    /** Where the links coming back may point: inside, unless the delegation lets them out. */
    private PathRules.Links linkRule() {
        return linksOut ? PathRules.Links.ANYWHERE : PathRules.Links.INSIDE;
    }

    private TaskOutcome stopped() {
        return cancel.cause() == Cancellation.Cause.TIMED_OUT
                ? TaskOutcome.failed(cancel.reason())
                : TaskOutcome.cancelled(cancel.reason());
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

    private static Down expect(Pipe<Down, Up> pipe, Predicate<Down> what) {
        return expect(pipe, what, IDLE_SECONDS);
    }

    private static Down expect(Pipe<Down, Up> pipe, Predicate<Down> what, long seconds) {
        Down m = pipe.receive(seconds, TimeUnit.SECONDS);
        if (m == null)
            throw Status.UNAVAILABLE
                    .withDescription("the agent closed the call early")
                    .asRuntimeException();
        if (!what.test(m))
            throw Status.INTERNAL
                    .withDescription("unexpected message " + m.getBodyCase() + " from the agent")
                    .asRuntimeException();
        return m;
    }

    /** The contents of a listing by hash: where each is read from and its size, indexed on first use. */
    private static final class Contents {
        private final Path root;
        private final List<FileEntry> entries;
        /** Contents sent from a snapshot, by hash. */
        private final Map<String, Path> copies;

        private Map<String, FileEntry> byHash;

        Contents(Path root, List<FileEntry> entries, Map<String, Path> copies) {
            this.root = root;
            this.entries = entries;
            this.copies = copies;
        }

        /** The stamp a content's file was listed with, to check it against as it is sent; none for a copy. */
        FileEntry.Stamp stamp(String hex) {
            if (copies.containsKey(hex)) return null;
            FileEntry e = index().get(hex);
            return e == null ? null : e.stamp();
        }

        private Map<String, FileEntry> index() {
            if (byHash == null) {
                byHash = new HashMap<>();
                for (FileEntry e : entries) if (e.isFile()) byHash.putIfAbsent(e.hashHex(), e);
            }
            return byHash;
        }

        boolean has(String hex) {
            return index().containsKey(hex);
        }

        Path path(String hex) {
            Path copy = copies.get(hex);
            if (copy != null) return copy;
            FileEntry e = index().get(hex);
            return e == null ? null : root.resolve(e.path());
        }

        Long size(String hex) {
            FileEntry e = index().get(hex);
            return e == null ? null : e.size();
        }

        int count() {
            return index().size();
        }
    }
}
