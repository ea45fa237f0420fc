package io.drover.temporal;

import io.drover.cluster.worker.AttemptInput;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** The activity that runs a Drover task, on whichever worker polls the task queue. */
@ActivityInterface
public interface DroverTaskActivity {
    /** The failure type of a failed task when Temporal makes its retries. */
    String TASK_FAILED = "DroverTaskFailed";

    /** The failure type of an activity whose worker stopped under it: Temporal runs it again elsewhere. */
    String WORKER_STOPPING = "DroverWorkerStopping";

    @ActivityMethod(name = "RunDroverTask")
    TaskResult run(AttemptInput input, boolean temporalRetries);
}
