package io.drover.bench;

import io.drover.core.lua.LuaInterpreter;
import io.drover.core.lua.TaskScope;
import io.drover.core.model.WorkflowSource;
import io.drover.core.process.Cancellation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import org.luaj.vm2.LuaValue;

/**
 * The cost of one task call into Lua, beside what the function does: 1,000,000 calls of a one-line function that
 * reads a top-level table, 7 rounds, median of the last 5. Compare builds by running each jar in turn: {@code java
 * -cp drover-bench.jar io.drover.bench.LuaCallBench} (an older jar: this file as a single-file program on its
 * classpath).
 */
public final class LuaCallBench {
    private LuaCallBench() {}

    public static void main(String[] args) throws Exception {
        LuaInterpreter in = new LuaInterpreter(
                new WorkflowSource("calls.lua", "local t = { a = 1 }\nFn = function() return t.a end"));
        Path dir = Files.createTempDirectory("drover-lua-calls");
        TaskScope scope = new TaskScope(line -> {}, dir, new HashMap<>(), new Cancellation());
        double[] ns = new double[7];
        for (int r = 0; r < ns.length; r++) {
            long start = System.nanoTime();
            for (int i = 0; i < 1_000_000; i++) in.callGlobal("Fn", scope, LuaValue.NONE);
            ns[r] = (System.nanoTime() - start) / 1_000_000.0;
        }
        Files.deleteIfExists(dir);
        double[] m = Arrays.copyOfRange(ns, 2, ns.length);
        Arrays.sort(m);
        System.out.printf(
                "lua calls: median %.0f ns a call of %s%n",
                m[m.length / 2], Arrays.toString(Arrays.copyOfRange(ns, 2, ns.length)));
    }
}
