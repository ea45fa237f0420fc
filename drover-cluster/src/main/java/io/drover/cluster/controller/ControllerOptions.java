package io.drover.cluster.controller;

import io.drover.core.Deadlines;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * How a controller runs. Immutable; {@link #builder(String)} validates at {@link Builder#build()}.
 *
 * @param lease how long the leader lease lasts without renewal; renewed every quarter of it. A standby takes over
 *     at most one lease (plus one poll) after the leader stopped renewing
 * @param bind the HTTP API's address; without a token only a loopback address is allowed
 * @param port the HTTP API's port (0: any free one; see {@link Controller#httpPort()})
 * @param token what the HTTP API demands (Authorization: Bearer), except on {@code /health}; null for none
 * @param ticker the controller's clock for its lease, in nanoseconds ({@link System#nanoTime} unless a test
 *     gives another)
 * @param clock the wall clock the runs' records are stamped with (start, end, when each task ran); {@link
 *     Clock#systemUTC()} unless a test gives another
 * @param flushEvery how long the leader gathers its runs' changes before writing them ({@link RunJournal}): the
 *     delay between the end of one flush and the start of the next
 * @param deadlines what that delay is measured on ({@link Deadlines#SYSTEM} unless a test moves a fake one by hand);
 *     the flush itself runs on the controller's own thread, never on the deadlines' thread
 * @param pollEvery how often the leader looks at the active runs when nothing wakes it: a run submitted or asked to
 *     cancel wakes it at once ({@link io.drover.cluster.queue.Client#awaitRunWake}), and so does becoming leader;
 *     the look catches the rest (a run whose take failed is tried again, an ended run's dispatcher is closed)
 */
public record ControllerOptions(
        String redisUrl,
        String controllerId,
        Duration lease,
        String bind,
        int port,
        String token,
        LongSupplier ticker,
        Clock clock,
        Duration flushEvery,
        Deadlines deadlines,
        Duration pollEvery) {
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(2);
    public static final Duration DEFAULT_FLUSH_EVERY = Duration.ofMillis(50);
    public static final Duration DEFAULT_POLL_EVERY = Duration.ofMillis(100);
    public static final int DEFAULT_PORT = 7700;

    public static Builder builder(String redisUrl) {
        return new Builder(redisUrl);
    }

    /** Builds {@link ControllerOptions}. Not thread-safe. */
    public static final class Builder {
        private final String redisUrl;
        private String controllerId;
        private Duration lease = DEFAULT_LEASE;
        private String bind = "127.0.0.1";
        private int port = DEFAULT_PORT;
        private String token;
        private LongSupplier ticker = System::nanoTime;
        private Clock clock = Clock.systemUTC();
        private Duration flushEvery = DEFAULT_FLUSH_EVERY;
        private Deadlines deadlines = Deadlines.SYSTEM;
        private Duration pollEvery = DEFAULT_POLL_EVERY;

        private Builder(String redisUrl) {
            this.redisUrl = redisUrl;
        }

        public Builder controllerId(String v) {
            controllerId = v;
            return this;
        }

        public Builder lease(Duration v) {
            lease = v;
            return this;
        }

        public Builder bind(String v) {
            bind = v;
            return this;
        }

        public Builder port(int v) {
            port = v;
            return this;
        }

        public Builder token(String v) {
            token = v == null || v.isBlank() ? null : v;
            return this;
        }

        /** The clock the lease is measured on (nanoseconds); for tests. */
        public Builder ticker(LongSupplier v) {
            ticker = Objects.requireNonNull(v);
            return this;
        }

        /** The wall clock the runs' records are stamped with; for tests. */
        public Builder clock(Clock v) {
            clock = Objects.requireNonNull(v);
            return this;
        }

        /** How long the leader gathers its runs' changes between two writes; 50 ms unless given. */
        public Builder flushEvery(Duration v) {
            flushEvery = Objects.requireNonNull(v);
            return this;
        }

        /** What the delay between flushes is measured on; for tests. */
        public Builder deadlines(Deadlines v) {
            deadlines = Objects.requireNonNull(v);
            return this;
        }

        /** How often the leader looks at the active runs when nothing wakes it; 100 ms unless given. */
        public Builder pollEvery(Duration v) {
            pollEvery = Objects.requireNonNull(v);
            return this;
        }

        public ControllerOptions build() {
            Objects.requireNonNull(redisUrl, "redisUrl");
            if (lease.toMillis() < 400)
                throw new IllegalArgumentException("lease must be at least 400ms, got " + lease);
            if (flushEvery.isNegative() || flushEvery.isZero() || flushEvery.compareTo(Duration.ofSeconds(10)) > 0)
                throw new IllegalArgumentException(
                        "the flush interval must be more than 0 and at most 10s, got " + flushEvery);
            if (pollEvery.isNegative() || pollEvery.isZero() || pollEvery.compareTo(Duration.ofMinutes(5)) > 0)
                throw new IllegalArgumentException(
                        "the poll interval must be more than 0 and at most 5m, got " + pollEvery);
            if (port < 0 || port > 65535) throw new IllegalArgumentException("bad port " + port);
            if (token == null && !isLoopback(bind)) {
                throw new IllegalArgumentException("the HTTP API on " + bind
                        + " needs a token (--token or DROVER_TOKEN); without one it binds to 127.0.0.1 only");
            }
            String id = controllerId != null ? controllerId : defaultId();
            if (!id.matches("[A-Za-z0-9_.:-]{1,128}") || id.contains(" "))
                throw new IllegalArgumentException("bad controller id '" + id + "'");
            return new ControllerOptions(
                    redisUrl, id, lease, bind, port, token, ticker, clock, flushEvery, deadlines, pollEvery);
        }

        static boolean isLoopback(String host) {
            return host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1");
        }

        private static String defaultId() {
            String host;
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                host = "host";
            }
            return "ctl-" + host.replaceAll("[^A-Za-z0-9_.-]", "_") + "-"
                    + ProcessHandle.current().pid();
        }
    }
}
