/**
 * Controllers: processes that run whole workflows on the fleet. One leads, holding a lease with a fencing epoch
 * that only grows ({@link io.drover.cluster.controller.LeaderLease}); it plans and dispatches every active run and
 * snapshots each ({@link io.drover.cluster.controller.RunJournal}) through writes fenced by that epoch. A standby
 * that takes over resumes every run without running what ended again and without losing what was in flight.
 * Every controller serves the HTTP API and the fleet's metrics.
 */
package io.drover.cluster.controller;
