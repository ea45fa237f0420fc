/**
 * Local run records: {@code .drover/runs/<run-id>/run.json} (written when the run starts and again, atomically,
 * when it ends) and one log file per task under {@code logs/}. {@link io.drover.core.record.RunJson} is the one
 * JSON shape of a run, used by the record, by {@code drover run --json} and by {@code drover runs show}.
 */
package io.drover.core.record;
