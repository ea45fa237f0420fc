package io.drover.agent.sync;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The memory an agent lets listings take at once, counted before each part of a listing is kept: concurrent
 * uploads of huge listings wait for each other instead of exhausting the heap. A part's cost is its wire size
 * times {@link #OVERHEAD} (what its entries take as Java objects). A listing larger than the whole budget is
 * refused at once; one that waits longer than {@code WAIT} for memory others hold is refused too, so transfers
 * that each hold part of the budget never wait on each other for ever. Thread-safe.
 */
public final class ListingBudget {
    /** Java objects of a listing per byte on the wire (strings, records, boxed fields), measured loosely. */
    public static final int OVERHEAD = 3;

    public static final long WAIT_SECONDS = 30;

    private final long bytes;
    private final Semaphore kib;

    public ListingBudget(long bytes) {
        if (bytes < 1024) throw new IllegalArgumentException("a listing budget needs at least 1 KiB, got " + bytes);
        this.bytes = bytes;
        this.kib = new Semaphore((int) Math.min(Integer.MAX_VALUE, bytes / 1024), true);
    }

    /** {@code DROVER_AGENT_LISTING_MEMORY} (bytes), else a quarter of the heap, at most 256 MiB. */
    public static ListingBudget fromEnvironment() {
        String v = System.getenv("DROVER_AGENT_LISTING_MEMORY");
        if (v != null && !v.isBlank()) {
            try {
                return new ListingBudget(Long.parseLong(v.strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "DROVER_AGENT_LISTING_MEMORY must be a number of bytes, not '" + v + "'");
            }
        }
        return new ListingBudget(Math.min(256L << 20, Runtime.getRuntime().maxMemory() / 4));
    }

    public long bytes() {
        return bytes;
    }

    /** What one transfer holds; {@link Hold#close()} gives it all back. Used by one thread. */
    public Hold hold() {
        return new Hold();
    }

    public final class Hold implements AutoCloseable {
        private int heldKib;

        /** Takes the memory a listing part of {@code wireBytes} needs, waiting for others to give some back. */
        public void take(long wireBytes) {
            long cost = wireBytes * OVERHEAD;
            int want = (int) Math.min(Integer.MAX_VALUE, (cost + 1023) / 1024);
            if ((heldKib + (long) want) * 1024 > bytes) {
                throw new TransferRejected("the listing needs more than the agent's " + (bytes >> 20)
                        + " MiB for listings" + " (DROVER_AGENT_LISTING_MEMORY): send a smaller workspace");
            }
            try {
                if (!kib.tryAcquire(want, WAIT_SECONDS, TimeUnit.SECONDS)) {
                    throw new TransferRejected("the agent's memory for listings (" + (bytes >> 20)
                            + " MiB) stayed taken by other" + " transfers for " + WAIT_SECONDS + " s: try again");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TransferRejected("interrupted while waiting for listing memory");
            }
            heldKib += want;
        }

        @Override
        public void close() {
            if (heldKib > 0) kib.release(heldKib);
            heldKib = 0;
        }
    }
}
