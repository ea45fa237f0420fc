package io.drover.cluster.worker;

import io.drover.cluster.queue.FencingToken;
import io.drover.cluster.queue.QueueTaskId;
import io.drover.cluster.queue.WorkerId;

/**
 * An attempt a worker holds, as plain values that can travel to another process (a Temporal activity): which task,
 * which stream entry, who holds its lease with which fencing token, and the attempt's numbers. It carries no spec,
 * parameters or environment: whoever runs it reads the task's spec from its record, so nothing secret is copied
 * anywhere else. Its ids travel as the strings and numbers they are written as ({@code @JsonValue}), and are
 * checked again as they are read.
 *
 * @param taskId the queue task id
 * @param stream the stream that holds its entry
 * @param entry the entry's id
 * @param holder the worker that holds the lease (the consumer the entry is pending for)
 * @param token the lease's fencing token (the entry's delivery count when the holder took it)
 * @param attempt the attempt's number as the task's events show it
 * @param failures failed attempts before this one: the task's retry this attempt belongs to is {@link #execution}
 * @param follower the stream of the task's follower, empty for none
 * @param timeoutMillis the task's timeout, 0 for none
 */
public record AttemptInput(
        QueueTaskId taskId,
        String stream,
        String entry,
        WorkerId holder,
        FencingToken token,
        int attempt,
        int failures,
        String follower,
        long timeoutMillis) {

    /**
     * Which of the task's tries this is: failures before it, plus one. Every delivery of one try has it (a crashed
     * worker's attempt taken over by another, an attempt handed back by a worker that stopped), and each retry after
     * a failure has the next: it names the attempt's execution elsewhere.
     */
    public int execution() {
        return failures + 1;
    }
}
