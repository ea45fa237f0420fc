package io.drover.bench;

import io.drover.core.engine.AttemptHandle;
import io.drover.core.engine.Dispatcher;
import io.drover.core.engine.TaskSink;
import io.drover.core.runner.TaskOutcome;
import io.drover.core.runner.TaskRequest;
import java.util.concurrent.Executor;

/**
 * Runs no-op Java tasks: on the scheduler's own thread ({@code executor == null}, so the scheduler's own cost is
 * all that is measured) or handed to an executor (a thread hop per task, as a real dispatcher has).
 */
final class InlineDispatcher implements Dispatcher {
    private static final AttemptHandle NOTHING_TO_CANCEL = reason -> {};
    private final Executor executor;

    InlineDispatcher(Executor executor) {
        this.executor = executor;
    }

    @Override
    public AttemptHandle dispatch(TaskRequest request, TaskSink sink) {
        if (executor == null) {
            sink.completed(TaskOutcome.OK);
        } else {
            executor.execute(() -> sink.completed(TaskOutcome.OK));
        }
        return NOTHING_TO_CANCEL;
    }
}
