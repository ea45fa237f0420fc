package io.drover.temporal;

import io.drover.cluster.worker.AttemptInput;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/** One attempt of a Drover task as a Temporal workflow: its one activity runs the task. */
@WorkflowInterface
public interface DroverTaskWorkflow {
    /** The workflow type's name on the server. */
    String TYPE = "DroverTask";

    @WorkflowMethod(name = TYPE)
    TaskResult run(AttemptInput input, ActivityPlan plan);

    /** A worker holds the task's lease now (it started the workflow, or took the task over and attaches). */
    @SignalMethod
    void attach(AttemptInput holder);

    /** Who holds the task's lease, as last attached (for an operator: {@code temporal workflow query}). */
    @QueryMethod
    AttemptInput holder();
}
