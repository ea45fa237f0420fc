package io.drover.agent.sync;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.drover.agent.wire.Blobs;
import io.drover.agent.wire.Piece;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Sends contents in the order asked, packed into {@link Blobs} messages of at most {@link #MESSAGE_BYTES} of data:
 * small files share a message, large ones span several. Small files are read whole by reader threads a few dozen
 * ahead of sending. A file is sent as it was listed: its first {@code size} bytes, the bytes its listed hash
 * covers. A file that grew since (a log the run itself appends to, {@code drover run flow.lua > build.log} in the
 * workspace) sends what it had then, and the receiver's check of the hash finds it whole. Given the listed stamps,
 * a file rewritten or truncated since its listing is found here ({@link ContentChanged}) before it is sent.
 */
public final class BlobSender {
    /** Bytes per message, data and per-piece overhead together: under the protocol's 1 MiB rule. */
    public static final int MESSAGE_BYTES = 960 * 1024;
    /** What a piece costs besides its data: the hash, the flags, the framing. */
    private static final int PIECE_OVERHEAD = 48;

    /** Where a message goes; blocks while the stream is not ready. */
    @FunctionalInterface
    public interface Out {
        void send(Blobs blobs) throws IOException;
    }

    private BlobSender() {}

    /** Contents up to this size are read whole, ahead of sending, by reader threads. */
    private static final int READ_AHEAD_MAX = MESSAGE_BYTES;
    /** How many contents are read ahead at most. */
    private static final int READ_AHEAD = 64;

    private static final ExecutorService READERS = readers();
    /** In place of a read ahead: a content read piece by piece as it goes. */
    private static final Future<byte[]> STREAMED = CompletableFuture.completedFuture(null);

    /**
     * @param hashes hex hashes, in the order asked
     * @param source where each content is read from
     * @param size each content's size
     * @return bytes sent
     */
    public static long send(List<String> hashes, Function<String, Path> source, Function<String, Long> size, Out out)
            throws IOException {
        return send(hashes, source, size, null, out);
    }

    /**
     * As above, each file checked against the stamp it was listed with ({@code stamps}: hex -> stamp, or null for no
     * check). A file whose stamp changed since (written while it was listed or sent) has what was read hashed: a file
     * that only grew sends what its listed hash covers; one rewritten or truncated throws {@link ContentChanged}
     * before anything the receiver would refuse is sent, so the caller can list again. A file unchanged by its stamp
     * is sent as read, unhashed.
     */
    public static long send(
            List<String> hashes,
            Function<String, Path> source,
            Function<String, Long> size,
            Function<String, FileEntry.Stamp> stamps,
            Out out)
            throws IOException {
        // small contents are read by reader threads a few dozen ahead (opening files one after the other is what
        // limits a large send); large ones are read piece by piece as they go
        ArrayDeque<Future<byte[]>> ahead = new ArrayDeque<>();
        int next = 0; // the next content to start reading ahead
        Blobs.Builder msg = Blobs.newBuilder();
        int inMsg = 0;
        long sent = 0;
        try {
            for (int i = 0; i < hashes.size(); i++) {
                for (; next < hashes.size() && next < i + READ_AHEAD; next++) {
                    String h = hashes.get(next);
                    Path file = source.apply(h);
                    Long n = file == null ? null : size.apply(h);
                    ahead.add(n != null && n <= READ_AHEAD_MAX ? READERS.submit(() -> readWhole(file, n)) : STREAMED);
                }
                String hex = hashes.get(i);
                Path file = source.apply(hex);
                if (file == null)
                    throw new TransferRejected("asked for content " + hex.substring(0, Math.min(12, hex.length()))
                            + " that was never offered");
                long expected = size.apply(hex);
                ByteString hash = ByteString.copyFrom(HexFormat.of().parseHex(hex));
                Future<byte[]> read = ahead.poll();
                byte[] whole = await(read); // null: read as it goes
                FileEntry.Stamp listed = stamps == null ? null : stamps.apply(hex);
                MessageDigest md = null; // hashing what is read, when the file's stamp says it may have changed
                if (listed != null && whole != null && !listed.equals(stampOf(file))) {
                    md = Scanner.sha256();
                    md.update(whole);
                    checkDigest(md, hex, file);
                    md = null;
                } else if (listed != null && whole == null && !listed.equals(stampOf(file))) {
                    md = Scanner.sha256();
                }
                long left = expected;
                try (InputStream in = whole != null ? null : Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                    do {
                        int room = MESSAGE_BYTES - inMsg - PIECE_OVERHEAD;
                        if (room <= 0) {
                            out.send(msg.build());
                            msg = Blobs.newBuilder();
                            inMsg = 0;
                            room = MESSAGE_BYTES - PIECE_OVERHEAD;
                        }
                        int want = (int) Math.min(room, left);
                        ByteString data;
                        if (whole != null) {
                            data = UnsafeByteOperations.unsafeWrap(
                                    whole, (int) (expected - left), want); // read ahead, not copied
                        } else {
                            byte[] chunk = new byte[want]; // owned by the message from here on: wrapped, not copied
                            int got = in.readNBytes(chunk, 0, want);
                            if (got < want) throw new ContentChanged(file, "shorter than listed");
                            if (md != null) md.update(chunk);
                            if (md != null && left == want) checkDigest(md, hex, file); // before the last piece goes
                            data = UnsafeByteOperations.unsafeWrap(chunk);
                        }
                        left -= want;
                        msg.addPieces(
                                Piece.newBuilder().setHash(hash).setData(data).setLast(left == 0));
                        inMsg += want + PIECE_OVERHEAD;
                        sent += want;
                    } while (left > 0);
                    // bytes past the listed size were appended after the listing: not part of this content
                    if (listed != null && whole == null && md == null && !listed.equals(stampOf(file))) {
                        // written while it was streamed, unhashed: what went may not be what was listed
                        throw new ContentChanged(file, "written while it was read");
                    }
                }
            }
        } finally {
            for (var f : ahead) f.cancel(false);
        }
        out.send(msg.setDone(true).build());
        return sent;
    }

    private static FileEntry.Stamp stampOf(Path file) throws IOException {
        try {
            return Scanner.stat(file.getParent(), file).stamp();
        } catch (NoSuchFileException e) {
            throw new ContentChanged(file, "deleted");
        }
    }

    private static void checkDigest(MessageDigest md, String hex, Path file) throws ContentChanged {
        if (!HexFormat.of().formatHex(md.digest()).equals(hex)) throw new ContentChanged(file, "rewritten");
    }

    /** A content read whole: the first {@code expected} bytes, the size it was listed with. */
    private static byte[] readWhole(Path file, long expected) throws IOException {
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            byte[] b = new byte[(int) expected];
            if (in.readNBytes(b, 0, b.length) < b.length) throw new ContentChanged(file, "shorter than listed");
            return b; // what was appended since the listing is not part of it
        }
    }

    private static byte[] await(Future<byte[]> f) throws IOException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading contents");
        }
    }

    private static ExecutorService readers() {
        ThreadPoolExecutor p = new ThreadPoolExecutor(
                4,
                4,
                30,
                TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(),
                Thread.ofPlatform().daemon().name("drover-read-", 0).factory());
        p.allowCoreThreadTimeOut(true);
        return p;
    }
}
