package io.drover.bench;

import io.drover.core.dsl.WorkflowLoader;
import io.drover.core.lua.Json;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.model.WorkflowSource;
import io.drover.core.runner.RequestCodec;
import io.drover.core.runner.TaskRequest;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The JSON a task costs on the fleet, in one process: a workflow task's attempt written (the controller), read and
 * decoded (the worker), and one of the run's events written (the journal). Eight rounds of 200,000; prints the
 * nanoseconds per task of the last four.
 *
 * <pre>java -cp drover-bench.jar io.drover.bench.JsonBench</pre>
 */
public final class JsonBench {
    private JsonBench() {}

    public static void main(String[] args) {
        WorkflowSource source = new WorkflowSource(
                "w.lua",
                "local noop = function() return true end\n"
                        + "TaskDefinitions = { g1 = { tasks = { { name = 'root', command = noop },"
                        + " { name = 'leaf1', depends_on = 'root', command = noop } } } }");
        TaskSpec leaf =
                WorkflowLoader.load(source).workflow().groups().get(0).tasks().get(1);
        TaskRequest request =
                new TaskRequest("20261207-185317-9180", leaf, 1, Map.of(), Map.of(new TaskId("g1", "root"), Map.of()));
        String[] event = {"type", "state", "task", "g1.leaf1", "from", "READY", "to", "RUNNING", "attempt", "1"};
        long sink = 0;
        StringBuilder out = new StringBuilder("ns per task (attempt written, read, decoded; one event written):");
        for (int round = 0; round < 8; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 200_000; i++) {
                String written = RequestCodec.write(request);
                TaskRequest back = RequestCodec.fromMap(Json.read(written));
                Map<String, String> body = new LinkedHashMap<>();
                body.put("run", request.runId());
                for (int j = 0; j + 1 < event.length; j += 2) body.put(event[j], event[j + 1]);
                sink += written.length() + Json.write(body).length() + back.attempt();
            }
            if (round >= 4) out.append(String.format(Locale.ROOT, " %d", (System.nanoTime() - t0) / 200_000));
        }
        System.out.println(out);
        if (sink == 42) System.out.println(); // keeps the work from being optimized away
    }
}
