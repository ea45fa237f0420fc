/**
 * Drover on a fleet: tasks travel through Redis Streams ({@code queue}) to {@code drover worker} processes
 * ({@code worker}), which run them with the core's {@link io.drover.core.runner.TaskRunner}.
 */
package io.drover.cluster;
