/**
 * The fleet's storage layer: the only code that talks to Redis. It promises:
 *
 * <ul>
 *   <li>every key is named by {@link io.drover.cluster.queue.Keys}; docs/architecture.md lists each with its type,
 *       writer, reader and expiry;
 *   <li>every change that touches several keys together is one Lua script (this package's resources, loaded by
 *       {@link io.drover.cluster.queue.Scripts}), and the keys a script touches share one hash tag ({@code {queue}}
 *       for a queue's, {@code {runs}} for runs', {@code {controller}} for the lease), so it works on Redis Cluster;
 *   <li>callers get typed requests and replies ({@link io.drover.cluster.queue.WorkerStore},
 *       {@link io.drover.cluster.queue.Client}, {@link io.drover.cluster.queue.RunRecords},
 *       {@link io.drover.cluster.queue.WorkerRecords}), never a connection or a script's positional reply;
 *   <li>every failure of a Redis call is a {@link io.drover.cluster.queue.StoreException} with a kind and a
 *       retryable flag, mapped in one place.
 * </ul>
 */
package io.drover.cluster.queue;
