/**
 * The Temporal executor of {@code drover worker --executor temporal}: a held attempt starts one Temporal workflow
 * ({@link DroverTaskWorkflow}, its id derived from the task and the attempt its entry began with), whose one activity
 * ({@link DroverTaskActivity}) runs the task through a worker's own runner, on whichever worker polls the task queue,
 * heartbeating its progress. The worker that holds the task's lease waits for the workflow's result and records it
 * through the queue's fenced completion; a worker that takes the task over attaches to the same workflow. Nothing
 * secret goes to Temporal: the activity reads the task's spec from its record.
 */
package io.drover.temporal;
