package io.drover.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.drover.agent.sync.Applier;
import io.drover.agent.sync.BlobReceiver;
import io.drover.agent.sync.BlobSender;
import io.drover.agent.sync.Changes;
import io.drover.agent.sync.ContentChanged;
import io.drover.agent.sync.FileEntry;
import io.drover.agent.sync.Limits;
import io.drover.agent.sync.PathRules;
import io.drover.agent.sync.Scanner;
import io.drover.agent.sync.TransferRejected;
import io.drover.agent.wire.Blobs;
import io.drover.agent.wire.EntryKind;
import io.drover.agent.wire.Piece;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The crafted transfers every receiving side must refuse as a whole (tar-slip, link escapes, writes through links,
 * hard links, devices, FIFOs, bombs), checked on the rules both extractors share and on the master's applier.
 * The agent's side of the same corpus goes over a real gRPC call in {@link AgentServerTest}.
 */
class SyncSafetyTest {
    @TempDir
    Path tmp;

    static FileEntry file(String path, int mode, String content) {
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        return new FileEntry(
                path, EntryKind.FILE, mode, b.length, Scanner.sha256().digest(b), "", null);
    }

    static FileEntry link(String path, String target) {
        return new FileEntry(path, EntryKind.SYMLINK, 0777, 0, null, target, null);
    }

    static FileEntry of(String path, EntryKind kind) {
        return new FileEntry(path, kind, 0644, 0, null, "", null);
    }

    /** Each case: a listing, and the words the rejection must contain. */
    static Stream<Arguments> corpus() {
        return Stream.of(
                args("tar-slip with ..", List.of(file("../evil.sh", 0644, "x")), "leaves the root"),
                args("tar-slip deeper", List.of(file("a/../../evil.sh", 0644, "x")), "leaves the root"),
                args("absolute path", List.of(file("/tmp/evil.sh", 0644, "x")), "absolute path"),
                args("empty component", List.of(file("a//b", 0644, "x")), "malformed"),
                args("dot component", List.of(file("./a", 0644, "x")), "malformed"),
                args("NUL in path", List.of(file("a\0b", 0644, "x")), "NUL"),
                args("link to an absolute path", List.of(link("etc", "/etc")), "outside the root"),
                args("link climbing out", List.of(link("sub/up", "../../x")), "outside the root"),
                args("write through a link", List.of(link("l", "sub"), file("l/x", 0644, "x")), "through the link"),
                args(
                        "chained links that climb out only when followed",
                        List.of(link("l2", "."), link("out", "l2/l2/l2/../../../tmp/x")),
                        "followed through the links"),
                args("hard link", List.of(of("h", EntryKind.HARDLINK)), "hard link"),
                args("device", List.of(of("dev", EntryKind.DEVICE)), "device"),
                args("fifo", List.of(of("pipe", EntryKind.FIFO)), "FIFO"),
                args("socket", List.of(of("sock", EntryKind.SOCKET)), "socket"),
                args("duplicate path", List.of(file("a", 0644, "x"), file("a", 0644, "y")), "twice"),
                args("out of path order", List.of(file("b", 0644, "x"), file("a", 0644, "y")), "out of order"),
                args("drover's own directory", List.of(file(".drover/runs/x", 0644, "x")), "own directory"),
                args(
                        "a bomb of bytes",
                        List.of(new FileEntry("big", EntryKind.FILE, 0644, 1L << 40, new byte[32], "", null)),
                        "limit"));
    }

    /** Links that leave the root: refused coming back to the master, made as links by an agent. */
    static final java.util.Set<String> LINKS_OUT = java.util.Set.of(
            "link to an absolute path", "link climbing out", "chained links that climb out only when followed");

    /** What an agent refuses of the master's uploads: everything in {@link #corpus} but links that leave the root. */
    static Stream<Arguments> agentCorpus() {
        return corpus().filter(a -> !LINKS_OUT.contains((String) a.get()[0]));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void anAgentTakesTheMastersLinksWhereverTheyPointButNothingBelowThem(
            String name, List<FileEntry> entries, String words) {
        if (LINKS_OUT.contains(name)) {
            PathRules.checkAll(entries, List.of(), new Limits(100, 1L << 30), PathRules.Links.ANYWHERE);
        } else {
            assertThatThrownBy(() ->
                            PathRules.checkAll(entries, List.of(), new Limits(100, 1L << 30), PathRules.Links.ANYWHERE))
                    .isInstanceOf(TransferRejected.class)
                    .hasMessageContaining(words);
        }
        assertThatThrownBy(() -> PathRules.checkAll(
                        List.of(link("etc", "/etc"), file("etc/passwd", 0644, "x")),
                        List.of(),
                        new Limits(100, 1L << 30),
                        PathRules.Links.ANYWHERE))
                .hasMessageContaining("through the link");
    }

    private static Arguments args(String name, List<FileEntry> entries, String words) {
        return Arguments.of(name, entries, words);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void theRulesRejectTheWholeTransfer(String name, List<FileEntry> entries, String words) {
        assertThatThrownBy(() -> PathRules.checkAll(entries, List.of(), new Limits(100, 1L << 30)))
                .isInstanceOf(TransferRejected.class)
                .hasMessageContaining(words);
    }

    @Test
    void tooManyFilesIsABomb() {
        List<FileEntry> many =
                IntStream.range(0, 11).mapToObj(i -> file("f" + i, 0644, "")).toList();
        assertThatThrownBy(() -> PathRules.checkAll(many, List.of(), new Limits(10, 1000)))
                .hasMessageContaining("exceed the limit of 10");
    }

    @Test
    void setuidAndSetgidBitsAreNeverKept() {
        assertThat(file("x", 06755, "x").mode()).isEqualTo(0755);
    }

    @Test
    void contentLongerThanAnnouncedOrDamagedIsRejected() throws Exception {
        FileEntry e = file("a", 0644, "hello");
        try (BlobReceiver r = new BlobReceiver(tmp.resolve("in"), Map.of(e.hashHex(), 5L))) {
            assertThatThrownBy(() -> r.receiveAll(() -> blobs(e.hash(), "hello world")))
                    .isInstanceOf(TransferRejected.class)
                    .hasMessageContaining("longer than announced");
        }
        try (BlobReceiver r = new BlobReceiver(tmp.resolve("in2"), Map.of(e.hashHex(), 5L))) {
            assertThatThrownBy(() -> r.receiveAll(() -> blobs(e.hash(), "HELLO")))
                    .isInstanceOf(TransferRejected.class)
                    .hasMessageContaining("damaged");
        }
        try (Stream<Path> s = Files.list(tmp.resolve("in2"))) {
            assertThat(s.toList())
                    .as("nothing is written for a damaged content")
                    .isEmpty();
        }
        try (BlobReceiver r = new BlobReceiver(tmp.resolve("in3"), Map.of(e.hashHex(), 5L))) {
            assertThatThrownBy(() -> r.receiveAll(() -> blobs(new byte[32], "hello")))
                    .hasMessageContaining("not asked for");
        }
        try (Stream<Path> s = Files.list(tmp.resolve("in"))) {
            assertThat(s.toList()).as("nothing half-received is left behind").isEmpty();
        }
    }

    @Test
    void contentsGoInTheOrderAskedWholeAndAFileRewrittenSinceItWasListedFailsTheTransfer() throws Exception {
        // small files (read ahead by reader threads) and one over a message (read as it goes), through a receiver
        Path src = Files.createDirectories(tmp.resolve("src"));
        Map<String, Path> files = new LinkedHashMap<>();
        Map<String, Long> sizes = new LinkedHashMap<>();
        Random rnd = new Random(3);
        for (int i = 0; i < 300; i++) {
            byte[] b = new byte[i == 150 ? 3 * BlobSender.MESSAGE_BYTES + 17 : rnd.nextInt(5000)];
            rnd.nextBytes(b);
            Path f = Files.write(src.resolve("f" + i), b);
            String hex = HexFormat.of().formatHex(Scanner.sha256().digest(b));
            files.put(hex, f);
            sizes.put(hex, (long) b.length);
        }
        List<Blobs> sent = new ArrayList<>();
        long bytes = BlobSender.send(List.copyOf(files.keySet()), files::get, sizes::get, sent::add);
        assertThat(bytes)
                .isEqualTo(sizes.values().stream().mapToLong(Long::longValue).sum());
        assertThat(sent).allSatisfy(m -> assertThat(m.getSerializedSize()).isLessThan(1 << 20));
        Iterator<Blobs> it = sent.iterator();
        try (BlobReceiver r = new BlobReceiver(tmp.resolve("dst"), sizes)) {
            assertThat(r.receiveAll(it::next)).isEqualTo(bytes);
        }
        for (var e : files.entrySet())
            assertThat(tmp.resolve("dst").resolve(e.getKey())).hasSameBinaryContentAs(e.getValue());

        // a file that shrank after it was listed: the send fails, naming it
        String big = List.copyOf(files.keySet()).get(150);
        Files.write(files.get(big), new byte[10]);
        assertThatThrownBy(() -> BlobSender.send(List.of(big), files::get, sizes::get, m -> {}))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("changed while it was being sent (shorter than listed)");
        // one rewritten in place, longer: what goes is what was listed in size, and the receiver's hash check
        // refuses it
        String small = files.keySet().iterator().next();
        Files.write(files.get(small), new byte[(int) (long) sizes.get(small) + 1]);
        List<Blobs> rewritten = new ArrayList<>();
        BlobSender.send(List.of(small), files::get, sizes::get, rewritten::add);
        Iterator<Blobs> rit = rewritten.iterator();
        try (BlobReceiver r = new BlobReceiver(tmp.resolve("dst2"), Map.of(small, sizes.get(small)))) {
            assertThatThrownBy(() -> r.receiveAll(rit::next))
                    .isInstanceOf(TransferRejected.class)
                    .hasMessageContaining("arrived damaged");
        }
    }

    @Test
    void givenTheListedStampsTheSenderFindsAFileRewrittenSinceItsListingAndSendsOneThatOnlyGrewAsListed()
            throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("stamped"));
        Map<String, Path> files = new HashMap<>();
        Map<String, Long> sizes = new HashMap<>();
        Map<String, FileEntry.Stamp> stamps = new HashMap<>();
        for (String name : List.of("small.txt", "large.bin")) {
            byte[] b = new byte[name.startsWith("small") ? 1000 : 3_000_000];
            new Random(name.length()).nextBytes(b);
            Path f = Files.write(dir.resolve(name), b);
            FileEntry e = new Scanner()
                    .scan(dir).stream()
                            .filter(x -> x.path().equals(name))
                            .findFirst()
                            .orElseThrow();
            files.put(e.hashHex(), f);
            sizes.put(e.hashHex(), e.size());
            stamps.put(e.hashHex(), e.stamp());
        }
        List<String> hashes = List.copyOf(files.keySet());
        // both grew after the listing: sent as listed, and the receiver finds them whole
        for (Path f : files.values()) Files.writeString(f, "appended", StandardOpenOption.APPEND);
        List<Blobs> sent = new ArrayList<>();
        BlobSender.send(hashes, files::get, sizes::get, stamps::get, sent::add);
        Iterator<Blobs> it = sent.iterator();
        try (BlobReceiver r = new BlobReceiver(tmp.resolve("got"), sizes)) {
            r.receiveAll(it::next);
        }
        // each rewritten in place with its size kept: found before its last piece goes
        for (String h : hashes) {
            byte[] other = new byte[(int) (long) sizes.get(h)];
            Files.write(files.get(h), other);
            assertThatThrownBy(() -> BlobSender.send(List.of(h), files::get, sizes::get, stamps::get, m -> {}))
                    .isInstanceOf(ContentChanged.class)
                    .hasMessage(files.get(h) + " changed while it was being sent (rewritten)");
        }
    }

    private static Blobs blobs(byte[] hash, String data) {
        return Blobs.newBuilder()
                .addPieces(Piece.newBuilder()
                        .setHash(ByteString.copyFrom(hash))
                        .setData(ByteString.copyFromUtf8(data))
                        .setLast(true))
                .setDone(true)
                .build();
    }

    @Test
    void aFileAppendedToWhileItIsSentArrivesAsItWasListed() throws Exception {
        // the run's own log redirected into the workspace (drover run flow.lua > build.log) grows during the send
        Path src = Files.createDirectories(tmp.resolve("growing"));
        Map<String, Path> files = new LinkedHashMap<>();
        Map<String, Long> sizes = new LinkedHashMap<>();
        byte[] small = "line 1\nline 2\n".getBytes(StandardCharsets.UTF_8);
        byte[] large = new byte[2 * BlobSender.MESSAGE_BYTES + 5]; // streamed piece by piece, not read ahead
        new Random(7).nextBytes(large);
        for (byte[] b : List.of(small, large)) {
            Path f = Files.write(src.resolve("log" + b.length), b);
            String hex = HexFormat.of().formatHex(Scanner.sha256().digest(b));
            files.put(hex, f);
            sizes.put(hex, (long) b.length);
        }
        for (Path f : files.values()) Files.writeString(f, "appended after the listing\n", StandardOpenOption.APPEND);
        List<Blobs> sent = new ArrayList<>();
        long bytes = BlobSender.send(List.copyOf(files.keySet()), files::get, sizes::get, sent::add);
        assertThat(bytes).isEqualTo(small.length + large.length);
        Iterator<Blobs> it = sent.iterator();
        try (BlobReceiver r = new BlobReceiver(tmp.resolve("grown"), sizes)) {
            assertThat(r.receiveAll(it::next)).isEqualTo(bytes);
        }
        for (var e : files.entrySet()) {
            byte[] got = Files.readAllBytes(tmp.resolve("grown").resolve(e.getKey()));
            assertThat(got)
                    .isEqualTo(e.getValue().getFileName().toString().equals("log" + small.length) ? small : large);
        }
    }

    @Test
    void theMasterNeverWritesThroughALinkAlreadyInItsWorkspace() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("ws"));
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.createSymbolicLink(root.resolve("out"), outside);
        List<FileEntry> base = new Scanner().scan(root);
        Changes c = new Changes(List.of(file("out/evil", 0644, "x")), List.of());
        PathRules.checkAll(c.written(), c.deleted(), Limits.DEFAULT); // fine on paper...
        Applier a = new Applier(root, Files.createDirectories(root.resolve(".drover/sync/t")));
        assertThatThrownBy(() -> a.check(c, Changes.byPath(base), "agent")) // ...but not on this disk
                .isInstanceOf(TransferRejected.class)
                .hasMessageContaining("through the link 'out'");
        assertThat(outside).isEmptyDirectory();
    }

    @Test
    void aPathChangedOnTheMasterMeanwhileIsAConflictAndNothingIsApplied() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("ws"));
        Files.writeString(root.resolve("a.txt"), "one");
        Files.writeString(root.resolve("b.txt"), "one");
        List<FileEntry> base = new Scanner().scan(root);
        Files.writeString(root.resolve("b.txt"), "changed here");
        Changes c = new Changes(List.of(file("a.txt", 0644, "two"), file("b.txt", 0644, "two")), List.of());
        Applier a = new Applier(root, Files.createDirectories(root.resolve(".drover/sync/t")));
        assertThatThrownBy(() -> a.check(c, Changes.byPath(base), "agent x"))
                .hasMessageContaining("workspace conflict: 'b.txt'");
        assertThat(root.resolve("a.txt")).hasContent("one");
    }

    @Test
    void aFailureHalfwayPutsEveryPathBack() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("ws"));
        Files.writeString(root.resolve("a.txt"), "old a");
        Files.writeString(root.resolve("gone.txt"), "old gone");
        Path staging = Files.createDirectories(root.resolve(".drover/sync/t"));
        FileEntry newA = file("a.txt", 0600, "new a");
        Files.writeString(staging.resolve(newA.hashHex()), "new a");
        // z.txt's content was never staged: applying it fails after a.txt was replaced and gone.txt deleted
        Changes c = new Changes(List.of(newA, file("z.txt", 0644, "missing")), List.of("gone.txt"));
        assertThatThrownBy(() -> new Applier(root, staging).apply(c)).isInstanceOf(IOException.class);
        assertThat(root.resolve("a.txt")).hasContent("old a");
        assertThat(root.resolve("gone.txt")).hasContent("old gone");
        assertThat(root.resolve("z.txt")).doesNotExist();
    }

    @Test
    void aLinkComingBackIsResolvedThroughTheLinksAlreadyOnDisk() {
        List<FileEntry> onDisk = List.of(link("l2", "."), file("keep.txt", 0644, "x"));
        List<FileEntry> back = List.of(link("out", "l2/l2/../../../etc"));
        List<FileEntry> tree = new ArrayList<>(onDisk);
        tree.addAll(back);
        tree.sort(Comparator.comparing(FileEntry::path));
        Assertions.assertThatThrownBy(() -> PathRules.checkTree(tree, back))
                .hasMessageContaining("link 'out' points outside the root");
        List<FileEntry> fine = List.of(link("in", "l2/l2/keep.txt"));
        List<FileEntry> tree2 = new ArrayList<>(onDisk);
        tree2.addAll(fine);
        PathRules.checkTree(tree2, fine);
        List<FileEntry> under = List.of(file("l2/x", 0644, "x"));
        Assertions.assertThatThrownBy(() -> PathRules.checkTree(onDisk, under))
                .hasMessageContaining("would be written through the link 'l2'");
    }
}
