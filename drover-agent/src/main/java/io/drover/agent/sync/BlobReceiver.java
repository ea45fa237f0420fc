package io.drover.agent.sync;

import com.google.protobuf.ByteString;
import io.drover.agent.wire.Blobs;
import io.drover.agent.wire.Piece;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Receives the contents one side asked for, in the order asked, into files named by their hash in a private
 * staging directory (whoever owns it removes it after use, so a half-written file is never taken for a whole one).
 * Each content is checked against its expected size and SHA-256; a piece of content that was not asked for, more
 * bytes than announced, or a wrong hash rejects the transfer.
 *
 * <p>A content that comes whole in one piece (most files) is checked and written by a small pool of writer threads,
 * several files at once: creating a file costs far more than its bytes on many file systems, and one thread
 * creating them one after the other is what limits a large first sync. A content in several pieces is written as
 * it comes. Either way nothing is written for a content whose hash is wrong.
 */
public final class BlobReceiver implements AutoCloseable {
    private static final int WRITER_THREADS = 4;
    /** Bytes of whole contents waiting for a writer, at most (per receiver). */
    private static final int QUEUED_BYTES = 64 << 20;

    private static final ExecutorService WRITERS = writers();

    private final Semaphore room = new Semaphore(QUEUED_BYTES);
    private final List<Future<?>> pending = new ArrayList<>();
    private final Path dir;
    private final Function<String, Path> destination;
    private final Map<String, Long> expected; // hex -> size, in the order asked
    private final Iterator<Map.Entry<String, Long>> order;
    private Map.Entry<String, Long> current;
    private Path tmp;
    private OutputStream out;
    private MessageDigest md;
    private long written;
    private long total;
    private int completed;

    /** @param wanted hex hash -> size, in the order the other side will send them */
    public BlobReceiver(Path dir, Map<String, Long> wanted) throws IOException {
        this(dir, dir::resolve, wanted);
    }

    /**
     * @param dir made when the first content comes
     * @param destination where each content (by hex hash) is written; a new file, never an existing one
     */
    public BlobReceiver(Path dir, Function<String, Path> destination, Map<String, Long> wanted) {
        this.dir = dir;
        this.destination = destination;
        this.expected = new LinkedHashMap<>(wanted);
        this.order = expected.entrySet().iterator();
    }

    public boolean done() {
        return completed == expected.size() && current == null;
    }

    /** Reads {@link Blobs} messages until the one marked done; every content asked for must have come. */
    public long receiveAll(Supplier<Blobs> in) throws IOException {
        while (true) {
            Blobs blobs = in.get();
            accept(blobs);
            if (blobs.getDone()) break;
        }
        if (!done()) throw new TransferRejected("the transfer ended before every content arrived");
        awaitWriters(true);
        return total;
    }

    /** Waits for every queued write; the first failure (a damaged content, say) is thrown as it was when {@code rethrow}. */
    private void awaitWriters(boolean rethrow) throws IOException {
        Throwable failure = null;
        for (Future<?> f : pending) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) failure = e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = new InterruptedIOException("interrupted while writing contents");
            }
        }
        pending.clear();
        if (failure == null || !rethrow) return;
        if (failure instanceof IOException io) throw io;
        if (failure instanceof RuntimeException re) throw re;
        throw new IOException(failure);
    }

    /** Checks and writes one whole content on a writer thread. */
    private void writeWhole(String hex, long size, ByteString data, Path target) throws IOException {
        int n = data.size();
        try {
            room.acquire(Math.max(1, Math.min(n, QUEUED_BYTES)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while receiving contents");
        }
        pending.add(WRITERS.submit(() -> {
            try {
                MessageDigest digest = Scanner.sha256();
                for (var bb : data.asReadOnlyByteBufferList()) digest.update(bb.duplicate());
                if (n != size || !Arrays.equals(digest.digest(), HexFormat.of().parseHex(hex))) {
                    throw new TransferRejected(
                            "content " + hex.substring(0, 12) + " arrived damaged (size or SHA-256 differs)");
                }
                try (OutputStream o =
                        Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    data.writeTo(o);
                }
                return null;
            } finally {
                room.release(Math.max(1, Math.min(n, QUEUED_BYTES)));
            }
        }));
    }

    private static ExecutorService writers() {
        ThreadPoolExecutor p = new ThreadPoolExecutor(
                WRITER_THREADS,
                WRITER_THREADS,
                30,
                TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(),
                Thread.ofPlatform().daemon().name("drover-write-", 0).factory());
        p.allowCoreThreadTimeOut(true);
        return p;
    }

    private void accept(Blobs blobs) throws IOException {
        for (Piece p : blobs.getPiecesList()) accept(p);
    }

    private void accept(Piece p) throws IOException {
        if (current == null) {
            if (!order.hasNext()) throw new TransferRejected("received content that was not asked for");
            current = order.next();
            if (!current.getKey().equals(HexFormat.of().formatHex(p.getHash().toByteArray()))) {
                throw new TransferRejected("received content out of order or not asked for");
            }
            if (completed == 0) Files.createDirectories(dir); // only when something comes: directories cost here
            if (p.getLast()) { // whole in one piece: checked and written by a writer thread
                if (p.getData().size() > current.getValue()) {
                    throw new TransferRejected("content " + current.getKey().substring(0, 12)
                            + " is longer than announced (" + current.getValue() + " bytes)");
                }
                writeWhole(current.getKey(), current.getValue(), p.getData(), destination.apply(current.getKey()));
                total += p.getData().size();
                current = null;
                completed++;
                return;
            }
            tmp = destination.apply(current.getKey());
            out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            md = Scanner.sha256();
            written = 0;
        } else if (!p.getHash().isEmpty()
                && !current.getKey().equals(HexFormat.of().formatHex(p.getHash().toByteArray()))) {
            throw new TransferRejected("content " + current.getKey() + " was cut short");
        }
        int n = p.getData().size();
        written += n;
        total += n;
        if (written > current.getValue()) {
            throw new TransferRejected("content " + current.getKey().substring(0, 12) + " is longer than announced ("
                    + current.getValue() + " bytes)");
        }
        for (var bb : p.getData().asReadOnlyByteBufferList()) {
            md.update(bb.duplicate());
        }
        p.getData().writeTo(out);
        if (p.getLast()) finish();
    }

    private void finish() throws IOException {
        out.close();
        out = null;
        byte[] got = md.digest();
        String hex = current.getKey();
        if (written != current.getValue() || !Arrays.equals(got, HexFormat.of().parseHex(hex))) {
            throw new TransferRejected(
                    "content " + hex.substring(0, 12) + " arrived damaged (size or SHA-256 differs)");
        }
        tmp = null;
        current = null;
        completed++;
    }

    /** Waits for the writer threads and drops a half-received content. */
    @Override
    public void close() throws IOException {
        awaitWriters(false);
        if (out != null) out.close();
        if (tmp != null) Files.deleteIfExists(tmp);
    }
}
