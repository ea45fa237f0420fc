/**
 * The planner: turns a {@link io.drover.core.model.Workflow} into a {@link io.drover.core.plan.Plan}, a checked
 * DAG held in flat arrays (no unknown dependencies, no cycles), with levels, part selection and graph output.
 */
package io.drover.core.plan;
