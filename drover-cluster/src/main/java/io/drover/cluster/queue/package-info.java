/**
 * The Redis layout of a queue and every change made to it. Multi-key changes are Lua scripts (in this package's
 * resources), so a claim, a completion, a retry or a cancel is atomic; all keys of a queue share the hash tag
 * {@code {queue}}, so a queue lives in one Redis Cluster slot.
 *
 * <pre>
 * drover:{q}:stream         stream of entries {v, id, spec, ...}: what an attempt needs; consumer group "workers":
 *                           an entry pending for a worker is a running attempt, its idle time the lease, its
 *                           delivery count the fencing token; acknowledged entries stay until a worker's heartbeat
 *                           trims the stream
 * drover:{q}:task:ID        hash: spec (JSON), max_attempts (absent: 1), stream, entry, state (not written when an
 *                           attempt starts), attempt (the last recorded), failures, errors, message, outputs,
 *                           followed; a task id is {@code <queue>.<unique>}, so it names its queue
 * drover:{q}:delayed        zset of task ids waiting for a retry, by due time (ms)
 * drover:{q}:dead           zset of task ids that failed for good, by time
 * drover:{q}:events:ID      capped stream of a task's state changes and log lines, for a task someone follows or
 *                           that logs; expires with the task
 * drover:{q}:following     set of queued task ids someone follows (the claim writes their RUNNING event)
 * drover:{q}:index          zset of the minutes tasks were submitted in; drover:{q}:index:MINUTE the list of its ids
 * drover:{q}:idem:KEY       the task id submitted with this idempotency key
 * </pre>
 */
package io.drover.cluster.queue;
