package io.drover.cluster.controller;

import io.drover.cluster.queue.RunRecords;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The leader lease of the controllers: one holder at a time, with a fencing epoch that only grows. Each
 * {@link #tick()} takes the lease (standing by), renews it (leading), or steps down; the owner calls it every
 * quarter of the lease. A leader steps down before anything else once its own clock says the lease ran out since
 * it last asked (a process that was paused), when the renewal finds another holder, and when Redis stayed out of
 * reach for the whole lease. Time comes from the ticker (nanoseconds; {@link System#nanoTime} outside tests), so
 * these rules are tested without sleeping. Used by one thread at a time; {@link #epoch()} and {@link #isLeader()}
 * may be read from any.
 */
final class LeaderLease {
    /** Hears the lease change hands; called on the thread that ticks. */
    interface Listener {
        void leading(long epoch);

        void steppedDown(long epoch, String why);
    }

    private final RunRecords store;
    private final String controllerId;
    private final String instance;
    private final Duration lease;
    private final LongSupplier ticker;
    private final Listener listener;
    private volatile long epoch; // 0 while standing by
    private volatile long validUntilNanos;

    LeaderLease(
            RunRecords store,
            String controllerId,
            String instance,
            Duration lease,
            LongSupplier ticker,
            Listener listener) {
        this.store = store;
        this.controllerId = controllerId;
        this.instance = instance;
        this.lease = lease;
        this.ticker = ticker;
        this.listener = listener;
    }

    long epoch() {
        return epoch;
    }

    /** Whether this process leads now: it holds an epoch and the lease has not run out on its own clock. */
    boolean isLeader() {
        return epoch > 0 && ticker.getAsLong() < validUntilNanos;
    }

    /** One round: take, keep or lose the lease. A Redis failure is thrown after the step-down it may call for. */
    void tick() {
        try {
            round();
        } catch (RuntimeException e) {
            if (epoch > 0 && ticker.getAsLong() >= validUntilNanos)
                stepDown("the lease ran out while Redis could not be reached");
            throw e;
        }
    }

    private void round() {
        if (epoch > 0 && ticker.getAsLong() >= validUntilNanos) {
            stepDown("the lease ran out before it was renewed (was this process paused?)");
        }
        long asked = ticker.getAsLong();
        if (epoch > 0) {
            if (store.renewLease(held(epoch), lease)) {
                validUntilNanos = asked + lease.toNanos();
            } else {
                stepDown(
                        store.leaseHolder().isEmpty()
                                ? "the lease lapsed before the renewal reached Redis (was this process starved of CPU or paused?)"
                                : "another controller holds the lease now");
            }
            return;
        }
        long e = store.takeLease(controllerId, instance, lease);
        if (e > 0) {
            validUntilNanos = asked + lease.toNanos();
            epoch = e;
            listener.leading(e);
        }
    }

    /** Stops leading (a run found a newer epoch, or the lease ran out); the listener hears it once. */
    void stepDown(String why) {
        long was = epoch;
        if (was == 0) return;
        epoch = 0;
        listener.steppedDown(was, why);
    }

    /** Gives the lease up at once, so a standby need not wait for it to run out. Returns the epoch given up, or 0. */
    long release() {
        long was = epoch;
        if (was == 0) return 0;
        epoch = 0;
        try {
            store.releaseLease(held(was));
        } catch (RuntimeException e) {
            // it runs out by itself
        }
        return was;
    }

    private RunRecords.Lease held(long e) {
        return new RunRecords.Lease(controllerId, e, instance);
    }
}
