/**
 * The scheduler and the dispatcher contract. A {@link io.drover.core.engine.Scheduler} drives one run through the
 * task state machine ({@link io.drover.core.engine.TaskState}) and hands ready tasks to a
 * {@link io.drover.core.engine.Dispatcher}, which decides where they run (in process, on an agent, on a worker).
 * The scheduler never knows where a task runs.
 */
package io.drover.core.engine;
