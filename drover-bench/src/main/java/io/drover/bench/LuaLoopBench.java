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
 * The stop hook's cost per instruction: one Lua task function that loops 3,000,000 times over table fields and a
 * library call, run 7 times in one interpreter; prints the median of the last 5 (the first 2 warm the JIT).
 * Compare two builds by running each jar alternately:
 * {@code java -cp drover-bench/target/drover-bench.jar io.drover.bench.LuaLoopBench}.
 */
public final class LuaLoopBench {
    private LuaLoopBench() {}

    public static void main(String[] args) throws Exception {
        String src = """
        Fn = function()
          local t = { a = 1, b = { c = 2 } }
          local s = 0
          for i = 1, 3000000 do
            s = s + t.a + t.b.c
            if i % 7 == 0 then s = s - math.floor(1.5) end
          end
          return s
        end""";
        LuaInterpreter in = new LuaInterpreter(new WorkflowSource("loop.lua", src));
        Path dir = Files.createTempDirectory("drover-lua-loop");
        long[] ms = new long[7];
        for (int r = 0; r < ms.length; r++) {
            long start = System.nanoTime();
            in.callGlobal("Fn", new TaskScope(line -> {}, dir, new HashMap<>(), new Cancellation()), LuaValue.NONE);
            ms[r] = (System.nanoTime() - start) / 1_000_000;
        }
        Files.deleteIfExists(dir);
        long[] measured = Arrays.copyOfRange(ms, 2, ms.length);
        Arrays.sort(measured);
        System.out.println("lua loop, 3,000,000 iterations: median " + measured[measured.length / 2] + " ms of "
                + Arrays.toString(Arrays.copyOfRange(ms, 2, ms.length)) + " (warm-up " + ms[0] + ", " + ms[1] + " ms)");
    }
}
