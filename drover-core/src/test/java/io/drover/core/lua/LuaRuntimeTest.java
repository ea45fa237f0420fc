package io.drover.core.lua;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.core.model.WorkflowSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** How a workflow's interpreters are lent to the tasks that call into it. */
class LuaRuntimeTest {
    /** A file whose top level takes a while, as a generated workflow of thousands of tasks does. */
    private static final WorkflowSource SLOW = new WorkflowSource("slow.lua", """
      local x = 0
      for i = 1, 2000000 do x = x + i end
      TaskDefinitions = { g = { tasks = { { name = "a", command = function() return true end } } } }
      """);

    @Test
    void aBurstOfShortTasksSharesAFewInterpretersInsteadOfEvaluatingTheFileForEach() throws Exception {
        LuaRuntime rt = new LuaRuntime(SLOW);
        Set<LuaInterpreter> made = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> calls = new ArrayList<>();
            for (int t = 0; t < 32; t++) {
                calls.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < 3; i++) {
                        LuaInterpreter in = rt.borrow();
                        made.add(in);
                        rt.release(in);
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : calls) f.get();
        }
        assertThat(made)
                .as("interpreters made for 96 short calls from 32 tasks at once")
                .hasSizeLessThan(8);
    }

    @Test
    void aTaskWhoseInterpreterIsHeldGetsAnotherRatherThanWaitingForIt() {
        LuaRuntime rt = new LuaRuntime(SLOW);
        LuaInterpreter held = rt.borrow();
        LuaInterpreter other = rt.borrow(); // none comes back: after waiting an evaluation's time, it makes its own
        assertThat(other).isNotSameAs(held);
        rt.release(other);
        assertThat(rt.borrow()).isSameAs(other);
    }
}
