package io.drover.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Deadlines on a clock a test moves by hand: {@link #advance} runs, on the calling thread, the actions now due. */
public final class FakeDeadlines implements Deadlines {
    private record Pending(long due, long seq, Runnable action) {}

    private final List<Pending> pending = new ArrayList<>();
    private long now;
    private long seq;

    @Override
    public synchronized Runnable after(Duration delay, Runnable action) {
        Pending p = new Pending(now + delay.toNanos(), seq++, action);
        pending.add(p);
        return () -> {
            synchronized (this) {
                pending.remove(p);
            }
        };
    }

    /** Moves the clock and runs what became due, in the order of their deadlines. */
    public void advance(Duration d) {
        List<Pending> due = new ArrayList<>();
        synchronized (this) {
            now += d.toNanos();
            for (Pending p : pending) if (p.due() <= now) due.add(p);
            pending.removeAll(due);
        }
        due.sort((a, b) -> a.due() != b.due() ? Long.compare(a.due(), b.due()) : Long.compare(a.seq(), b.seq()));
        for (Pending p : due) p.action().run();
    }

    /** How many actions wait for their deadline. */
    public synchronized int pending() {
        return pending.size();
    }
}
