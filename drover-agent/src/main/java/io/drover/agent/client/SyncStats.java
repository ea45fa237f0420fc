package io.drover.agent.client;

import io.drover.agent.sync.Sizes;
import java.util.Locale;

/**
 * What travelled for one delegated attempt: up (the listing's entries, the contents the agent asked for, and the time
 * from the first listing to the last content sent) and back (files written and paths deleted by the task's changes,
 * the contents received, and the time from the result to the changes applied here).
 */
public record SyncStats(
        int entriesSent,
        int filesSent,
        long bytesSent,
        long upMillis,
        int filesReceived,
        int deleted,
        long bytesReceived,
        long downMillis) {

    /** One line for a task's log: {@code sync: sent 3 files (1.2 MiB; 40 entries listed) in 80 ms; ...}. */
    public String describe() {
        return String.format(
                Locale.ROOT,
                "sync: sent %d file%s (%s; %d entr%s listed) in %d ms; received %d file%s (%s)%s in %d ms",
                filesSent,
                filesSent == 1 ? "" : "s",
                Sizes.format(bytesSent),
                entriesSent,
                entriesSent == 1 ? "y" : "ies",
                upMillis,
                filesReceived,
                filesReceived == 1 ? "" : "s",
                Sizes.format(bytesReceived),
                deleted == 0 ? "" : ", " + deleted + " deleted",
                downMillis);
    }
}
