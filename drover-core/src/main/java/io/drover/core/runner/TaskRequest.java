package io.drover.core.runner;

import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import java.util.Map;

/**
 * One attempt of one task, as handed to a dispatcher: everything needed to run it anywhere.
 *
 * @param runId the run's id
 * @param task the task, with its group's defaults applied
 * @param attempt 1 for the first attempt
 * @param params the task's parameters with the run's parameters over them
 * @param dependencyOutputs the outputs of the task's direct dependencies that produced any
 */
public record TaskRequest(
        String runId,
        TaskSpec task,
        int attempt,
        Map<String, Object> params,
        Map<TaskId, Map<String, Object>> dependencyOutputs) {}
