package io.drover.temporal;

import io.drover.cluster.queue.WorkerId;

/**
 * An activity's heartbeat details: how far its attempt got, for the next attempt (on another worker, after this one
 * stopped heartbeating) to say where it takes over.
 *
 * @param worker the worker the attempt runs on
 * @param activityAttempt the activity's attempt number
 * @param lines log lines written so far
 * @param lastLine the last of them (masked)
 */
public record Progress(WorkerId worker, int activityAttempt, long lines, String lastLine) {}
