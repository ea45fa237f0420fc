package io.drover.core.engine;

import io.drover.core.dsl.WorkflowLoader;
import io.drover.core.runner.TaskKinds;
import io.drover.core.runner.TaskRunner;
import java.nio.file.Path;

/** The scheduler contract against the in-process dispatcher. */
class LocalDispatcherTest extends DispatcherContract {
    @Override
    protected Dispatcher newDispatcher(WorkflowLoader.Loaded workflow, Path baseDir) {
        return new LocalDispatcher(
                new TaskRunner(workflow.lua(), TaskKinds.none()), baseDir, baseDir.resolve(".scratch"));
    }
}
