/**
 * A workflow run on the fleet: {@link io.drover.cluster.run.ClusterDispatcher} is the engine's dispatcher whose
 * attempts become queue tasks (the workflow's source stored once by content, each attempt one JSON object), and
 * whose outcomes come back from one follower stream per queue. It keeps the dispatcher contract that local and
 * agent dispatchers keep ({@code DispatcherContract}), and it never dispatches an attempt twice: each carries the
 * idempotency key of its run, task and attempt.
 */
package io.drover.cluster.run;
