package io.drover.cluster.files;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Where contents of runs' files too large for Redis go ({@link FleetFiles}): a store every machine of the fleet
 * reaches, by SHA-256. {@link SharedDirectory} (a directory mounted at the same path everywhere) implements it; an
 * S3-compatible object store would too (objects named by hash, their last use in metadata or a lifecycle rule).
 * Implementations are thread-safe and safe to share between processes.
 */
public interface LargeContents {
    /** Whether the content is stored; one that is has its last use set to now (it is kept from now on). */
    boolean has(String hex) throws IOException;

    /** What was stored: its SHA-256 and size. */
    record Stored(String hex, long size) {}

    /**
     * Stores the first {@code size} bytes of {@code file}, hashing them as they are read, and says what was stored
     * (another hash than the listed one, or fewer bytes, when the file changed since it was listed).
     */
    Stored put(Path file, long size) throws IOException;

    /**
     * Writes the content to {@code to} whole (through a temporary name beside it), checked against its hash.
     *
     * @return false when the store does not hold it
     * @throws io.drover.agent.sync.TransferRejected when what it holds is damaged
     */
    boolean get(String hex, Path to) throws IOException;

    /** Removes contents not used within {@code keep}, and uploads left half-done; returns how many went. */
    int sweep(Duration keep) throws IOException;

    /** What it is, for messages: {@code the shared directory /mnt/drover-files}. */
    String describe();
}
