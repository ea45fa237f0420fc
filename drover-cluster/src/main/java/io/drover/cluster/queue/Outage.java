package io.drover.cluster.queue;

import io.drover.core.model.Durations;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * How a loop that calls Redis lives through Redis going away: it says so once when calls start failing and once
 * when they work again (with how long it lasted), and waits longer between tries while it lasts (100 ms, doubling,
 * at most 5 s), instead of failing or logging on every try. A failure that will not pass by waiting (a refused
 * password, a bad command: {@link StoreException#isRetryable()} false) is said every time, with the same backoff.
 * Used by one thread at a time.
 */
public final class Outage {
    static final long FIRST_DELAY_MILLIS = 100;
    static final long MAX_DELAY_MILLIS = 5000;

    private final String what;
    private final Consumer<String> say;
    private final LongSupplier millis;
    private long since = -1;
    private long delay;

    /**
     * @param what what is calling, as the lines say it ({@code "claiming tasks"})
     * @param say where the lines go
     * @param millis the clock ({@link System#currentTimeMillis} outside tests)
     */
    public Outage(String what, Consumer<String> say, LongSupplier millis) {
        this.what = what;
        this.say = say;
        this.millis = millis;
    }

    public Outage(String what, Consumer<String> say) {
        this(what, say, System::currentTimeMillis);
    }

    /** A call failed: says so if it is news, and returns how long to wait before the next try (ms). */
    public long failed(RuntimeException e) {
        StoreException s = StoreException.of(e);
        if (since < 0) {
            since = millis.getAsLong();
            delay = FIRST_DELAY_MILLIS;
            say.accept(what + ": " + s.getMessage() + "; trying again with backoff (up to " + MAX_DELAY_MILLIS / 1000
                    + " s)");
        } else {
            delay = Math.min(MAX_DELAY_MILLIS, delay * 2);
            if (!s.isRetryable()) say.accept(what + ": " + s.getMessage());
        }
        return delay;
    }

    /** A call worked: if calls were failing, says that they work again. */
    public void succeeded() {
        if (since < 0) return;
        long lasted = millis.getAsLong() - since;
        since = -1;
        say.accept(
                what + ": Redis answers again (calls failed for " + Durations.format(Duration.ofMillis(lasted)) + ")");
    }

    /** Whether calls are failing now. */
    public boolean ongoing() {
        return since >= 0;
    }
}
