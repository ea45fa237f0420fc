package io.drover.core.state;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * A second (and third) process for the contract suite's contention tests: opens the store of a URL and
 * <ul>
 *   <li>{@code cas URL NS ROUNDS}: until the counter reaches ROUNDS, reads it and tries to write it plus one by
 *       compare-and-set; prints each value it won, a line each;
 *   <li>{@code count URL NS TIMES}: TIMES times, under a lock, reads a plain value and writes it plus one (no CAS:
 *       only the lock keeps the increments whole);
 *   <li>{@code hold URL NS TTL_MS}: takes the lock, prints {@code held TOKEN}, and sleeps until killed.
 * </ul>
 */
public final class StateContender {
    private StateContender() {}

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String ns = args[2];
        int n = Integer.parseInt(args[3]);
        try (StateStore store = StateStores.open(args[1], Path.of("."), Clock.systemUTC())) {
            StateScope s = store.scope(ns);
            switch (mode) {
                case "cas" -> {
                    StringBuilder won = new StringBuilder();
                    while (true) {
                        Versioned v = s.get("round");
                        long value = v == null ? 0 : Long.parseLong(v.json());
                        if (value >= n) break;
                        if (s.cas("round", v == null ? 0 : v.version(), Long.toString(value + 1), null) > 0)
                            won.append(value + 1).append('\n');
                    }
                    System.out.print(won);
                }
                case "count" -> {
                    for (int i = 0; i < n; i++) {
                        StateLocks.withLock(
                                s, "counter", Duration.ofSeconds(10), Duration.ofSeconds(60), () -> {}, t -> {
                                    Versioned v = s.get("plain");
                                    long value = v == null ? 0 : Long.parseLong(v.json());
                                    s.set("plain", Long.toString(value + 1), null);
                                    return null;
                                });
                    }
                    System.out.println("done");
                }
                case "hold" -> {
                    long token = s.lock("held", Duration.ofMillis(n));
                    System.out.println("held " + token);
                    System.out.flush();
                    Thread.sleep(Long.MAX_VALUE);
                }
                default -> throw new IllegalArgumentException(mode);
            }
        }
        System.out.flush();
    }
}
