package io.drover.core.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.drover.core.Jvm;
import io.drover.core.MutableClock;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every state store promises, run against each (SQLite, PostgreSQL, Redis) by a subclass that says how to open
 * it. Each test works in a namespace of its own, so a store may be shared by the tests.
 */
public abstract class StateStoreContract {
    protected final MutableClock clock = new MutableClock();
    protected StateStore store;
    protected StateScope s;
    protected String ns;

    /** Opens the store under test; {@code clock} measures expiry where the store measures it in this process. */
    protected abstract StateStore open(MutableClock clock);

    /** The store's URL, for other processes. */
    protected abstract String url();

    /** Whether {@link #clock} decides expiry (else the server's clock does, and tests wait real time). */
    protected abstract boolean clockDecidesExpiry();

    /** Marks the store as written by a newer Drover (schema version {@code version}). */
    protected abstract void forceSchema(long version);

    @BeforeEach
    void openStore() {
        store = open(clock);
        ns = "test-" + UUID.randomUUID();
        s = store.scope(ns);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    /** Lets {@code ttl} pass for the store: on the fake clock, or in real time. */
    private void pass(Duration ttl, Runnable untilTrue) {
        if (clockDecidesExpiry()) {
            clock.advance(ttl.plusMillis(1));
            untilTrue.run();
        } else {
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(20))
                    .untilAsserted(untilTrue::run);
        }
    }

    private Duration shortTtl() {
        return clockDecidesExpiry() ? Duration.ofDays(30) : Duration.ofMillis(300);
    }

    @Test
    void aValueIsReadBackAsWrittenAndAnAbsentKeyIsNull() {
        assertThat(s.get("nothing")).isNull();
        s.set("v", "{\"a\":[1,2,\"x\"],\"b\":true}", null);
        assertThat(s.get("v").json()).isEqualTo("{\"a\":[1,2,\"x\"],\"b\":true}");
        s.set("text", "\"héllo ✓\"", null);
        assertThat(s.get("text").json()).isEqualTo("\"héllo ✓\"");
        assertThat(store.scope(ns + "-other").get("v")).as("another namespace").isNull();
    }

    @Test
    void everyWriteGivesANewVersionThatNeverRepeatsEvenAfterADelete() {
        long v1 = s.set("k", "1", null);
        long v2 = s.set("k", "2", null);
        assertThat(v2).isGreaterThan(v1);
        assertThat(s.get("k").version()).isEqualTo(v2);
        assertThat(s.delete("k")).isTrue();
        assertThat(s.delete("k")).isFalse();
        long v3 = s.set("k", "1", null);
        assertThat(v3).isGreaterThan(v2);
        assertThat(s.cas("k", v1, "9", null))
                .as("a version from before the delete")
                .isZero();
    }

    @Test
    void compareAndSetWritesOnlyOverTheVersionItWasGiven() {
        assertThat(s.cas("cursor", 5, "\"x\"", null))
                .as("absent: only 0 matches")
                .isZero();
        long v1 = s.cas("cursor", 0, "\"a\"", null);
        assertThat(v1).isPositive();
        assertThat(s.cas("cursor", 0, "\"b\"", null))
                .as("present: 0 no longer matches")
                .isZero();
        long v2 = s.cas("cursor", v1, "\"b\"", null);
        assertThat(v2).isGreaterThan(v1);
        assertThat(s.cas("cursor", v1, "\"c\"", null)).as("stale").isZero();
        assertThat(s.get("cursor")).isEqualTo(new Versioned("\"b\"", v2));
    }

    @Test
    void incrementsFromFiftyThreadsAreAllCounted() throws Exception {
        assertThat(s.incr("n", 1)).isEqualTo(1);
        ExecutorService pool = Executors.newFixedThreadPool(50);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 50; t++)
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 20; i++) s.incr("n", 1);
                }));
            for (Future<?> f : fs) f.get();
        } finally {
            pool.shutdown();
        }
        assertThat(s.incr("n", 0)).isEqualTo(1001);
        assertThat(s.incr("n", -1001)).isZero();
        assertThat(s.get("n").json()).isEqualTo("0");
    }

    @Test
    void incrementingSomethingOtherThanAnIntegerFailsNamingTheKey() {
        s.set("name", "\"abc\"", null);
        assertThatThrownBy(() -> s.incr("name", 1))
                .isInstanceOf(StateException.class)
                .hasMessageContaining("'name'")
                .hasMessageContaining("not an integer");
        s.append("list", "1", 10, null);
        assertThatThrownBy(() -> s.incr("list", 1)).hasMessageContaining("'list' holds a list");
        assertThatThrownBy(() -> s.get("list")).hasMessageContaining("'list' holds a list");
        assertThatThrownBy(() -> s.append("name", "1", 10, null)).hasMessageContaining("'name' holds a value");
    }

    @Test
    void keysListsValuesAndListsByPrefixInOrder() {
        s.set("b.2", "1", null);
        s.set("a.1", "1", null);
        s.append("b.1", "1", 10, null);
        s.set("c", "1", null);
        s.set("b%_", "1", null);
        assertThat(s.keys("b")).containsExactly("b%_", "b.1", "b.2");
        assertThat(s.keys("b%")).containsExactly("b%_");
        assertThat(s.keys("")).containsExactly("a.1", "b%_", "b.1", "b.2", "c");
        assertThat(s.keys("B")).as("prefixes are case-sensitive").isEmpty();
    }

    @Test
    void aValueExpiresWithItsTtlAndAnIncrementKeepsIt() {
        Duration ttl = shortTtl();
        s.set("temp", "1", ttl);
        s.set("kept", "1", null);
        s.incr("temp", 1);
        assertThat(s.get("temp").json()).isEqualTo("2");
        pass(ttl, () -> assertThat(s.get("temp")).isNull());
        assertThat(s.get("kept").json()).isEqualTo("1");
        assertThat(s.keys("")).containsExactly("kept");
        assertThat(s.cas("temp", 0, "5", null))
                .as("an expired key is absent for CAS")
                .isPositive();
    }

    @Test
    void aCappedListKeepsItsNewestEntriesAndSlicesFromEitherEnd() {
        for (int i = 1; i <= 7; i++)
            assertThat(s.append("h", Integer.toString(i), 5, null)).isEqualTo(Math.min(i, 5));
        assertThat(s.range("h", 0, -1)).containsExactly("3", "4", "5", "6", "7");
        assertThat(s.range("h", -2, -1)).containsExactly("6", "7");
        assertThat(s.range("h", 1, 2)).containsExactly("4", "5");
        assertThat(s.range("h", -20, 1)).containsExactly("3", "4");
        assertThat(s.range("h", 4, 100)).containsExactly("7");
        assertThat(s.range("h", 5, 9)).isEmpty();
        assertThat(s.range("none", 0, -1)).isEmpty();
        assertThat(s.delete("h")).isTrue();
        assertThat(s.range("h", 0, -1)).isEmpty();
        s.append("h", "\"again\"", 5, null);
        assertThat(s.range("h", 0, -1)).containsExactly("\"again\"");
    }

    @Test
    void aListWithATtlExpiresWhole() {
        Duration ttl = shortTtl();
        s.append("l", "1", 10, ttl);
        s.append("l", "2", 10, null);
        s.append("m", "1", 10, ttl);
        pass(ttl, () -> assertThat(s.range("l", 0, -1)).isEmpty());
        s.append("l", "3", 10, null);
        assertThat(s.range("l", 0, -1)).containsExactly("3");
        s.set("m", "\"now a value\"", null); // over an expired list: its entries must not come back
        assertThat(s.delete("m")).isTrue();
        s.append("m", "2", 10, null);
        assertThat(s.range("m", 0, -1)).containsExactly("2");
    }

    @Test
    void aLockIsExclusiveItsTokensGrowAndOnlyItsHolderReleasesIt() {
        Duration ttl = Duration.ofMinutes(1);
        long t1 = s.lock("deploy", ttl);
        assertThat(t1).isPositive();
        assertThat(s.lock("deploy", ttl)).as("held").isZero();
        assertThat(s.unlock("deploy", t1 + 1)).as("not the holder").isFalse();
        assertThat(s.renew("deploy", t1, ttl)).isTrue();
        assertThat(s.unlock("deploy", t1)).isTrue();
        long t2 = s.lock("deploy", ttl);
        assertThat(t2).isGreaterThan(t1);
        assertThat(s.renew("deploy", t1, ttl)).as("an old token").isFalse();
        assertThat(s.lock("other", ttl)).isGreaterThan(t2);
    }

    @Test
    void aLockWhoseHolderStoppedRenewingExpiresAndTheNextHolderGetsALargerToken() {
        Duration ttl = shortTtl();
        long t1 = s.lock("l", ttl);
        pass(ttl, () -> assertThat(s.lock("l", ttl)).isGreaterThan(t1));
        assertThat(s.unlock("l", t1)).as("the expired holder").isFalse();
    }

    @Test
    void withLockReleasesOnEveryExitErrorsIncluded() {
        assertThatThrownBy(() -> StateLocks.withLock(s, "x", Duration.ofMinutes(1), null, () -> {}, t -> {
                    throw new IllegalStateException("boom");
                }))
                .hasMessage("boom");
        long token = StateLocks.withLock(s, "x", Duration.ofMinutes(1), null, () -> {}, t -> {
            assertThatThrownBy(() -> StateLocks.withLock(s, "x", Duration.ofMinutes(1), null, () -> {}, u -> u))
                    .isInstanceOf(StateException.class)
                    .hasMessageContaining("lock 'x' is held by another holder");
            return t;
        });
        assertThat(s.lock("x", Duration.ofMinutes(1))).isGreaterThan(token);
    }

    @Test
    void aValueOverTheLimitAndABadTtlAreRefusedNamingTheKey() {
        String big = "\"" + "x".repeat(StateLimits.MAX_VALUE_BYTES) + "\"";
        assertThatThrownBy(() -> s.set("huge", big, null))
                .isInstanceOf(StateException.class)
                .hasMessageContaining("'huge'")
                .hasMessageContaining("over the limit of 16 MiB");
        assertThatThrownBy(() -> s.append("huge", big, 10, null)).hasMessageContaining("'huge'");
        assertThat(s.get("huge")).isNull();
        assertThatThrownBy(() -> StateLimits.ttl("k", "soon")).hasMessageContaining("bad ttl 'soon' for key 'k'");
        assertThatThrownBy(() -> s.set("k", "1", Duration.ZERO)).hasMessageContaining("'k'");
    }

    @Test
    void aStoreOfANewerSchemaIsRefused() {
        forceSchema(99);
        try {
            assertThatThrownBy(() -> open(clock).close())
                    .isInstanceOf(StateException.class)
                    .hasMessageContaining("schema version 99, newer than this Drover's");
        } finally {
            forceSchema(1);
        }
    }

    @Test
    void compareAndSetUnderContentionFromTwoProcessesHasExactlyOneWinnerEachRound() throws Exception {
        int rounds = 1000;
        Process a = contender("cas", ns, rounds);
        Process b = contender("cas", ns, rounds);
        List<Long> won = new ArrayList<>();
        won.addAll(lines(a));
        won.addAll(lines(b));
        assertThat(a.waitFor()).isZero();
        assertThat(b.waitFor()).isZero();
        assertThat(won).hasSize(rounds);
        assertThat(new HashSet<>(won)).hasSize(rounds).allMatch(v -> v >= 1 && v <= rounds);
        assertThat(s.get("round").json()).isEqualTo(Integer.toString(rounds));
    }

    @Test
    void aLockKeepsTwoProcessesApartAndOneKilledWhileHoldingItLosesItAtItsTtl() throws Exception {
        Process a = contender("count", ns, 150);
        Process b = contender("count", ns, 150);
        assertThat(lines(a)).isEmpty(); // "done" is not a number: read to the end
        lines(b);
        assertThat(a.waitFor()).isZero();
        assertThat(b.waitFor()).isZero();
        assertThat(s.get("plain").json())
                .as("each read-and-write whole under the lock")
                .isEqualTo("300");

        Process holder = contender("hold", ns, 2000);
        try (BufferedReader r =
                new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
            String line = r.readLine();
            assertThat(line).startsWith("held ");
            long held = Long.parseLong(line.substring(5));
            assertThat(held).isPositive();
            assertThat(s.lock("held", Duration.ofMinutes(1))).isZero();
            holder.destroyForcibly().waitFor(); // kill -9: it never releases
            await().atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(50))
                    .untilAsserted(() -> {
                        if (clockDecidesExpiry()) clock.advance(Duration.ofMillis(500));
                        assertThat(s.lock("held", Duration.ofMinutes(1))).isGreaterThan(held);
                    });
        } finally {
            holder.destroyForcibly();
        }
    }

    private Process contender(String mode, String namespace, int n) throws IOException {
        return new ProcessBuilder(Jvm.command(
                        List.of("-Xmx128m", "-XX:TieredStopAtLevel=1"),
                        StateContender.class.getName(),
                        List.of(mode, url(), namespace, Integer.toString(n))))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    private static List<Long> lines(Process p) throws IOException {
        List<Long> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.matches("[0-9]+")) out.add(Long.parseLong(line));
            }
        }
        return out;
    }
}
