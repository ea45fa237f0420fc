/**
 * A run's files on the fleet: the same listings, hashes and all-or-none changes as the agent sync, carried through a
 * content-addressed store the fleet reaches ({@link io.drover.cluster.files.FleetFiles}: Redis, and a shared
 * directory for large contents). It promises:
 *
 * <ul>
 *   <li>a task on a worker starts in a directory that is the run's workspace as its scheduler had it when the task
 *       was dispatched (the submitted directory plus every change applied so far, its dependencies' included);
 *   <li>what a task changed is applied to the run's workspace all or none, and refused as a conflict when another
 *       task changed one of its paths since it started ({@link io.drover.cluster.files.RunWorkspace});
 *   <li>each content is stored once by its SHA-256 and checked against it when fetched; a worker fetches only what
 *       its cache lacks; everything expires with the run's retention;
 *   <li>the same path rules as agents: nothing is written outside the attempt's directory or through a link, and a
 *       link leading out of the workspace does not come back from a task.
 * </ul>
 */
package io.drover.cluster.files;
