/**
 * The worker: claims tasks from a queue's consumer group, runs them with the core's task runner, renews their
 * leases from a heartbeat that task work cannot starve, reclaims the tasks of dead workers, and records each
 * outcome only while it still holds the task's current attempt.
 */
package io.drover.cluster.worker;
