package io.drover.cluster.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.drover.agent.sync.Changes;
import io.drover.agent.sync.FileEntry;
import io.drover.agent.sync.Scanner;
import io.drover.agent.sync.TransferRejected;
import io.drover.cluster.RedisExtension;
import io.drover.cluster.queue.Client;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run's files through a real redis-server of the test's own: what the submitting side stores, what a worker makes
 * of a version and what it keeps of a task's changes, the scheduler's conflict rule, and the way back.
 */
class RunFilesTest {
    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    @TempDir
    Path tmp;

    private Client client;
    private FleetFiles files;

    @BeforeEach
    void connect() {
        client = Client.connect(redis.url());
        files = new FleetFiles(client.blobs(), null, FleetFiles.DEFAULT_INLINE_MAX, Duration.ofMinutes(10));
    }

    @AfterEach
    void close() {
        redis.commands().flushall();
        client.close();
    }

    private Path dir(String name) throws Exception {
        return Files.createDirectories(tmp.resolve(name));
    }

    private WorkerFiles worker(String name) throws Exception {
        return new WorkerFiles(files, dir(name).resolve("cache"), 1 << 30);
    }

    /** Runs a "task" on a worker: its directory made from {@code ref}, {@code work} done in it, its changes kept. */
    private String task(WorkerFiles w, String ref, String attemptDir, ThrowingConsumer work) throws Exception {
        Path d = tmp.resolve(attemptDir);
        WorkerFiles.Prepared p = w.prepare("run-1", ref, d);
        Files.createDirectories(d); // as the task runner makes it, when the version was empty
        work.accept(d);
        return w.collect(p, d, List.of()).ref();
    }

    interface ThrowingConsumer {
        void accept(Path p) throws Exception;
    }

    @Test
    void aTaskStartsFromTheSubmittedFilesAndItsDependentSeesItsChanges() throws Exception {
        Path base = dir("base");
        Files.writeString(base.resolve("input.txt"), "hello\n");
        Files.createDirectories(base.resolve("src"));
        Files.writeString(base.resolve("src/main.c"), "int main() {}\n");
        Files.setPosixFilePermissions(
                Files.writeString(base.resolve("run.sh"), "#!/bin/sh\n"),
                java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-x---"));
        SyncBack.Submitted submitted = SyncBack.upload(files, base);
        RunWorkspace ws = new RunWorkspace(files, new Versions(files), submitted.ref(), h -> {});
        WorkerFiles w1 = worker("w1");
        String changes = task(w1, ws.head(), "a1", d -> {
            assertThat(Files.readString(d.resolve("input.txt"))).isEqualTo("hello\n");
            assertThat(Files.readString(d.resolve("src/main.c"))).isEqualTo("int main() {}\n");
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                            Files.getPosixFilePermissions(d.resolve("run.sh"))))
                    .isEqualTo("rwxr-x---");
            Files.createDirectories(d.resolve("out"));
            Files.writeString(d.resolve("out/VERSION"), "1.4");
            Files.delete(d.resolve("input.txt"));
        });
        ws.apply(changes, "build.compile");
        // another worker, with nothing cached: the dependent sees the first task's changes
        String none = task(worker("w2"), ws.head(), "a2", d -> {
            assertThat(Files.readString(d.resolve("out/VERSION"))).isEqualTo("1.4");
            assertThat(d.resolve("input.txt")).doesNotExist();
        });
        assertThat(none).as("a task that changed nothing stores nothing").isNull();
        SyncBack.Applied back = SyncBack.apply(files, base, submitted, ws.head());
        assertThat(back.written()).isEqualTo(1);
        assertThat(back.deleted()).isEqualTo(1);
        assertThat(back.now().ref()).isEqualTo(ws.head());
        // what the directory holds now is the base of the next change: applied again, nothing to do
        assertThat(SyncBack.apply(files, base, back.now(), ws.head()).written()).isZero();
        assertThat(Files.readString(base.resolve("out/VERSION"))).isEqualTo("1.4");
        assertThat(base.resolve("input.txt")).doesNotExist();
    }

    @Test
    void twoTasksChangingOneFileFromTheSameVersionTheLaterIsRefusedAsAConflictAndChangesNothing() throws Exception {
        Path base = dir("base");
        Files.writeString(base.resolve("shared.txt"), "0");
        SyncBack.Submitted submitted = SyncBack.upload(files, base);
        List<String> heads = new ArrayList<>();
        RunWorkspace ws = new RunWorkspace(files, new Versions(files), submitted.ref(), heads::add);
        String start = ws.head();
        WorkerFiles w = worker("w");
        String first = task(w, start, "a1", d -> Files.writeString(d.resolve("shared.txt"), "first"));
        String second = task(w, start, "a2", d -> {
            Files.writeString(d.resolve("shared.txt"), "second");
            Files.writeString(d.resolve("other.txt"), "x");
        });
        ws.apply(first, "g.first");
        assertThatThrownBy(() -> ws.apply(second, "g.second"))
                .isInstanceOf(TransferRejected.class)
                .hasMessage("workspace conflict: 'shared.txt' was changed by another task while g.second ran"
                        + " (its changes were not applied)");
        assertThat(heads).hasSize(1);
        assertThat(Changes.byPath(ws.listing())).doesNotContainKey("other.txt");
        // a scheduler that took the run over hears the first task's end again: applied already, nothing changes
        String head = ws.head();
        ws.apply(first, "g.first");
        assertThat(ws.head()).isEqualTo(head);
        // a task that started after the first ended may change the file
        String third = task(w, head, "a3", d -> Files.writeString(d.resolve("shared.txt"), "third"));
        ws.apply(third, "g.third");
        assertThat(new String(read(ws, "shared.txt"), StandardCharsets.UTF_8)).isEqualTo("third");
    }

    private byte[] read(RunWorkspace ws, String path) throws Exception {
        FileEntry e = Changes.byPath(ws.listing()).get(path);
        Path out = tmp.resolve("read-" + e.hashHex());
        files.download(Map.of(e.hashHex(), e.size()), h -> out);
        return Files.readAllBytes(out);
    }

    @Test
    void aLongChainOfChangesIsCompactedAndAWorkerResolvesItsHeadFromTheStoreAlone() throws Exception {
        Path base = dir("base");
        SyncBack.Submitted submitted = SyncBack.upload(files, base);
        RunWorkspace ws = new RunWorkspace(files, new Versions(files), submitted.ref(), h -> {});
        WorkerFiles w = worker("w");
        for (int i = 0; i < RunWorkspace.MAX_DEPTH + 5; i++) {
            int n = i;
            ws.apply(task(w, ws.head(), "t" + i, d -> Files.writeString(d.resolve("f" + n), "v" + n)), "g.t" + i);
        }
        List<FileEntry> fresh = new Versions(files).resolve(ws.head()); // nothing known: walks the store
        assertThat(fresh).isEqualTo(ws.listing());
        assertThat(fresh).hasSize(RunWorkspace.MAX_DEPTH + 5);
        int depth = 0;
        for (String r = ws.head(); r != null; r = files.getListing(r).parent()) depth++;
        assertThat(depth).isLessThanOrEqualTo(RunWorkspace.MAX_DEPTH);
    }

    @Test
    void aFileThatGrowsWhileItIsStoredTravelsAsItWasReadAndTheWayBackLeavesTheGrownFileAlone() throws Exception {
        Path base = dir("base");
        Path log = base.resolve("build.log");
        Files.writeString(log, "line 1\n");
        Scanner scanner = new Scanner();
        List<FileEntry> listed = scanner.scan(base);
        try (OutputStream o = Files.newOutputStream(log, java.nio.file.StandardOpenOption.APPEND)) {
            o.write("line 2, written after the listing\n".getBytes(StandardCharsets.UTF_8));
        }
        List<FileEntry> stored = files.upload(base, listed);
        assertThat(stored).isEqualTo(listed); // read up to the listed size: the content listed
        // a file rewritten (same size, other bytes) after it was listed is stored as read, its entry saying so
        Path other = base.resolve("other.txt");
        Files.writeString(other, "aaaa");
        List<FileEntry> listed2 = scanner.scan(base);
        Files.writeString(other, "bbbb");
        List<FileEntry> stored2 = files.upload(base, listed2);
        FileEntry e = Changes.byPath(stored2).get("other.txt");
        assertThat(e.hashHex())
                .isNotEqualTo(Changes.byPath(listed2).get("other.txt").hashHex());
        Path got = tmp.resolve("got");
        files.download(Map.of(e.hashHex(), e.size()), h -> got);
        assertThat(Files.readString(got)).isEqualTo("bbbb");
    }

    @Test
    void aFileOverTheInlineLimitGoesToTheSharedDirectoryOrIsRefusedWithOneLineNamingBothSettings() throws Exception {
        Path base = dir("base");
        byte[] big = new byte[200_000];
        new java.util.Random(7).nextBytes(big);
        Files.write(base.resolve("big.bin"), big);
        FleetFiles small = new FleetFiles(client.blobs(), null, 100_000, Duration.ofMinutes(10));
        assertThatThrownBy(() -> SyncBack.upload(small, base))
                .isInstanceOf(TransferRejected.class)
                .hasMessageContaining("'big.bin' holds 195.3 KiB, over the 97.7 KiB a file may take in Redis"
                        + " (DROVER_FILES_INLINE_MAX)")
                .hasMessageContaining("DROVER_FILE_STORE=DIR");
        Path shared = dir("shared");
        FleetFiles withStore =
                new FleetFiles(client.blobs(), SharedDirectory.at(shared), 100_000, Duration.ofMinutes(10));
        SyncBack.Submitted s = SyncBack.upload(withStore, base);
        String hex = Changes.byPath(s.stored()).get("big.bin").hashHex();
        assertThat(shared.resolve(hex.substring(0, 2)).resolve(hex)).exists();
        assertThat(redis.commands().exists(io.drover.cluster.queue.Keys.blob(hex)))
                .isZero();
        Path d = tmp.resolve("attempt");
        new WorkerFiles(withStore, dir("cache"), 1 << 30).prepare("run-1", s.ref(), d);
        assertThat(Files.readAllBytes(d.resolve("big.bin"))).isEqualTo(big);
    }

    @Test
    void aTaskLeavingALinkOutOfTheWorkspaceIsRefusedButOneFromTheSubmitterTravelsAsALink() throws Exception {
        Path base = dir("base");
        Files.createSymbolicLink(base.resolve("python"), Path.of("/usr/bin/python3"));
        SyncBack.Submitted s = SyncBack.upload(files, base);
        WorkerFiles w = worker("w");
        Path d = tmp.resolve("a1");
        WorkerFiles.Prepared p = w.prepare("run-1", s.ref(), d);
        assertThat(Files.readSymbolicLink(d.resolve("python"))).isEqualTo(Path.of("/usr/bin/python3"));
        assertThat(w.collect(p, d, List.of()).ref())
                .as("a link left as it was is no change")
                .isNull();
        Files.createSymbolicLink(d.resolve("etc"), Path.of("/etc"));
        assertThatThrownBy(() -> w.collect(p, d, List.of()))
                .isInstanceOf(TransferRejected.class)
                .hasMessageContaining("'etc'");
    }

    @Test
    void aWorkerFetchesEachContentOnceAndTheCacheStaysWithinItsSize() throws Exception {
        Path base = dir("base");
        for (int i = 0; i < 10; i++) Files.write(base.resolve("f" + i), new byte[10_000 + i]);
        SyncBack.Submitted s = SyncBack.upload(files, base);
        Path cache = dir("w").resolve("cache");
        WorkerFiles w = new WorkerFiles(files, cache, 1 << 30);
        w.prepare("run-1", s.ref(), tmp.resolve("a1"));
        try (var l = Files.list(cache.resolve("blobs"))) {
            assertThat(l.count()).isEqualTo(10);
        }
        redis.commands().flushall(); // a second attempt needs nothing from Redis but the listing it knows
        w.prepare("run-1", s.ref(), tmp.resolve("a2"));
        assertThat(Files.size(tmp.resolve("a2/f9"))).isEqualTo(10_009);
        WorkerFiles tight = new WorkerFiles(
                new FleetFiles(client.blobs(), null, FleetFiles.DEFAULT_INLINE_MAX, Duration.ofMinutes(10)),
                dir("tight"),
                30_000);
        SyncBack.Submitted again = SyncBack.upload(files, base);
        tight.prepare("run-1", again.ref(), tmp.resolve("a3"));
        assertThat(Files.size(tmp.resolve("a3/f5"))).isEqualTo(10_005);
        long cached;
        try (var l = Files.list(dir("tight").resolve("blobs"))) {
            cached = l.mapToLong(f -> f.toFile().length()).sum();
        }
        assertThat(cached).isLessThanOrEqualTo(30_000);
    }

    @Test
    void theSharedDirectoryLosesContentsUnusedForTheRetentionAndKeepsThoseInUse() throws Exception {
        Path shared = dir("shared");
        FleetFiles store = new FleetFiles(client.blobs(), SharedDirectory.at(shared), 10, Duration.ofHours(1));
        Path base = dir("base");
        Files.writeString(base.resolve("old.bin"), "an old content, unused for long");
        Files.writeString(base.resolve("new.bin"), "a content used just now");
        SyncBack.Submitted s = SyncBack.upload(store, base);
        Path old = shared.resolve(
                        Changes.byPath(s.stored()).get("old.bin").hashHex().substring(0, 2))
                .resolve(Changes.byPath(s.stored()).get("old.bin").hashHex());
        Files.setLastModifiedTime(
                old, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 7_200_000));
        assertThat(store.sweepShared()).isEqualTo(1);
        assertThat(old).doesNotExist();
        String kept = Changes.byPath(s.stored()).get("new.bin").hashHex();
        assertThat(shared.resolve(kept.substring(0, 2)).resolve(kept)).exists();
    }

    @Test
    void theRunsNextTaskOnAWorkerStartsFromTheKeptDirectoryResetToItsVersionExactlyAsAFreshCopy() throws Exception {
        Path base = dir("base");
        Files.createDirectories(base.resolve("src/deep"));
        Files.writeString(base.resolve("src/deep/a.txt"), "a");
        Files.writeString(base.resolve("src/b.txt"), "b");
        Files.createSymbolicLink(base.resolve("link"), Path.of("src/b.txt"));
        SyncBack.Submitted s = SyncBack.upload(files, base);
        RunWorkspace ws = new RunWorkspace(files, new Versions(files), s.ref(), h -> {});
        WorkerFiles w = worker("w");
        // task 1 changes things and leaves scratch; its directory is kept
        Path d1 = tmp.resolve("a1");
        WorkerFiles.Prepared p1 = w.prepare("run-1", ws.head(), d1);
        Files.writeString(d1.resolve("src/b.txt"), "b2");
        Files.writeString(d1.resolve("new.txt"), "n");
        Files.createDirectories(d1.resolve(".drover"));
        Files.writeString(d1.resolve(".drover/t1.1.out"), "x=1");
        WorkerFiles.Collected c1 = w.collect(p1, d1, List.of());
        ws.apply(c1.ref(), "g.t1");
        w.keep("run-1", d1, c1.after());
        assertThat(d1).doesNotExist();
        // meanwhile another task elsewhere deletes a file and replaces the link by a directory
        Path other = tmp.resolve("elsewhere");
        WorkerFiles.Prepared po = worker("w2").prepare("run-1", ws.head(), other);
        Files.delete(other.resolve("src/deep/a.txt"));
        Files.delete(other.resolve("link"));
        Files.createDirectories(other.resolve("link"));
        Files.writeString(other.resolve("link/in.txt"), "in");
        ws.apply(worker("w3").collect(po, other, List.of()).ref(), "g.other");
        // task 2 here: from the kept directory, reset to the head; the same as a fresh copy on a new worker
        Path d2 = tmp.resolve("a2");
        w.prepare("run-1", ws.head(), d2);
        Path fresh = tmp.resolve("fresh");
        worker("w4").prepare("run-1", ws.head(), fresh);
        assertThat(d2.resolve(".drover"))
                .as("the last attempt's scratch is gone")
                .doesNotExist();
        assertThat(tree(d2))
                .isEqualTo(tree(fresh))
                .containsEntry("link/in.txt", "in")
                .containsEntry("src/b.txt", "b2");
        assertThat(tree(d2)).doesNotContainKey("src/deep/a.txt");
        // another run's attempt on the same worker starts fresh, not from run-1's directory
        assertThat(w.prepare("run-2", s.ref(), tmp.resolve("b1")).listing()).hasSize(5);
        assertThat(tree(tmp.resolve("b1"))).containsEntry("src/b.txt", "b").doesNotContainKey("new.txt");
    }

    private static Map<String, String> tree(Path root) throws Exception {
        Map<String, String> m = new java.util.TreeMap<>();
        try (var walk = Files.walk(root)) {
            for (Path p : walk.toList()) {
                String rel = root.relativize(p).toString();
                if (rel.isEmpty()) continue;
                if (Files.isSymbolicLink(p)) m.put(rel, "-> " + Files.readSymbolicLink(p));
                else if (Files.isDirectory(p)) m.put(rel + "/", "");
                else m.put(rel, Files.readString(p));
            }
        }
        return m;
    }
}
