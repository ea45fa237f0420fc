package io.drover.core.lua;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.drover.core.WorkflowException;
import io.drover.core.model.WorkflowSource;
import io.drover.core.process.Cancellation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

class LuaSandboxTest {
    @TempDir
    Path dir;

    private final List<String> log = new ArrayList<>();

    /** Evaluates {@code body} as a function called inside a task whose workdir is {@code dir/work}. */
    private Varargs call(String body) throws Exception {
        Files.createDirectories(dir.resolve("work"));
        LuaInterpreter in = new LuaInterpreter(new WorkflowSource("flow.lua", "Fn = function()\n" + body + "\nend"));
        return in.callGlobal("Fn", scope(), LuaValue.NONE);
    }

    private TaskScope scope() {
        return new TaskScope(log::add, dir.resolve("work"), new HashMap<>(), new Cancellation());
    }

    private String error(String body) {
        try {
            call(body);
        } catch (LuaError e) {
            return LuaErrors.message(e);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("expected a Lua error");
    }

    @Test
    void offersNoProcessFileOrDebugAccessOfLuasOwn() throws Exception {
        Varargs r = call(
                "return os.execute, io, debug, require, dofile, loadfile, package, os.remove, os.exit, string.dump, luajava");
        for (int i = 1; i <= 11; i++)
            assertThat(r.arg(i).isnil()).as("value %d", i).isTrue();
        assertThat(call("return os.time() > 0, type(os.date)").arg1().toboolean())
                .isTrue();
    }

    @Test
    void aNilThatIsIndexedOrCalledIsNamedAndWhatTheSandboxLeavesOutIsSaidSo() throws Exception {
        assertThat(error("local deps = {}\nreturn deps.create.x"))
                .isEqualTo("flow.lua:3: attempt to index deps.create (a nil value):"
                        + " no dependency 'create' (deps holds the outputs of the tasks in depends_on)");
        assertThat(error("local t\nreturn t.field")).isEqualTo("flow.lua:3: attempt to index t (a nil value)");
        assertThat(error("local cfg = { db = {} }\nreturn cfg.db.host.name"))
                .isEqualTo("flow.lua:3: attempt to index cfg.db.host (a nil value)");
        assertThat(error("os.execute('ls')"))
                .isEqualTo("flow.lua:2: attempt to call os.execute (a nil value):"
                        + " os.execute is not available in Drover's sandbox (use exec)");
        assertThat(error("io.open('x')"))
                .isEqualTo("flow.lua:2: attempt to index io (a nil value):"
                        + " io is not available in Drover's sandbox (use fs.read, fs.write, fs.list)");
        assertThat(error("require('socket')"))
                .isEqualTo("flow.lua:2: attempt to call require (a nil value):"
                        + " require is not available in Drover's sandbox");
        assertThat(error("nosuchfunction()")).isEqualTo("flow.lua:2: attempt to call nosuchfunction (a nil value)");
        // pcall sees the same words, as Lua writes them (file:line: message, no traceback line)
        assertThat(call("local ok, err = pcall(function() local t; return t.x end)\nreturn err")
                        .arg1()
                        .tojstring())
                .isEqualTo("flow.lua:2: attempt to index t (a nil value)");
        // a value without a name keeps LuaJ's words
        assertThat(error("local function f() return nil end\nreturn f().x"))
                .isEqualTo("flow.lua:3: attempt to index ? (a nil value)");
    }

    @Test
    void aCancelThatFiredBeforeTheCallBeganStopsTheCall() {
        // A task's timeout can fire while it waits for an interpreter (one that evaluates the file first, slow on a
        // loaded machine); the call used to reset the stop it had been given, and the loop ran for ever.
        LuaInterpreter in = new LuaInterpreter(new WorkflowSource("flow.lua", "Fn = function() while true do end end"));
        Cancellation cancel = new Cancellation();
        cancel.cancel(Cancellation.Cause.TIMED_OUT, "timed out after 300ms");
        TaskScope scope = new TaskScope(log::add, dir.resolve("work"), new HashMap<>(), cancel);
        assertTimeoutPreemptively(
                Duration.ofSeconds(20),
                () -> assertThatThrownBy(() -> in.callGlobal("Fn", scope, LuaValue.NONE))
                        .isInstanceOf(LuaError.class)
                        .hasMessageContaining("stopped"));
    }

    @Test
    void aModuleCallThatFailsNamesItsFunction() throws Exception {
        // the name used to be LuaJ's own (unset) field of the function: "null: no such file: ..."
        assertThat(error("fs.read('missing.txt')"))
                .contains("fs.read: no such file")
                .doesNotContain("null");
        assertThat(error("json.decode('{')")).startsWith("flow.lua:2: json.decode: invalid JSON");
    }

    @Test
    void refusesBinaryChunks() throws Exception {
        Varargs r = call("return load('\\27Lua\\82\\0\\1\\4\\4\\4\\8\\0')");
        assertThat(r.arg1().isnil()).isTrue();
        assertThat(r.arg(2).tojstring()).isNotEmpty();
    }

    @Test
    void confinesFsToTheWorkingDirectory() throws Exception {
        call("fs.write('a/b.txt', 'hi'); fs.append('a/b.txt', '!')");
        assertThat(Files.readString(dir.resolve("work/a/b.txt"))).isEqualTo("hi!");
        assertThat(call("return fs.read('a/b.txt'), fs.exists('a/b.txt'), fs.exists('nope')")
                        .arg(2)
                        .toboolean())
                .isTrue();
        assertThat(error("fs.write('../escape.txt', 'x')"))
                .contains("path '../escape.txt' leaves the task's working directory");
        assertThat(error("return fs.read('/etc/passwd')")).contains("path '/etc/passwd' is absolute");
        assertThat(dir.resolve("escape.txt")).doesNotExist();
    }

    @Test
    void refusesToFollowALinkOutOfTheWorkingDirectory() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        Files.createDirectories(dir.resolve("outside"));
        Files.createSymbolicLink(dir.resolve("work/link"), dir.resolve("outside"));
        assertThat(error("fs.write('link/x.txt', 'x')"))
                .contains("leads out of the task's working directory through a link");
        assertThat(dir.resolve("outside/x.txt")).doesNotExist();
    }

    @Test
    void fsNeverWritesThroughADanglingLinkOrToAHardLinkedFile() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        Files.createDirectories(dir.resolve("outside"));
        Files.writeString(dir.resolve("outside/secret.txt"), "kept");
        Files.createSymbolicLink(dir.resolve("work/dangling"), dir.resolve("outside/new.txt"));
        Files.createLink(dir.resolve("work/hard"), dir.resolve("outside/secret.txt"));
        assertThat(error("fs.write('dangling', 'x')"))
                .contains("leads out of the task's working directory through a link");
        assertThat(error("fs.append('hard', 'x')")).contains("path 'hard' is a hard link (2 names)");
        assertThat(error("fs.write('hard', 'x')")).contains("path 'hard' is a hard link (2 names)");
        assertThat(dir.resolve("outside/new.txt")).doesNotExist();
        assertThat(Files.readString(dir.resolve("outside/secret.txt"))).isEqualTo("kept");
    }

    @Test
    void fsFollowsNoLinkEvenOneThatStaysInside() throws Exception {
        Files.createDirectories(dir.resolve("work/real"));
        Files.createSymbolicLink(dir.resolve("work/alias"), dir.resolve("work/real"));
        assertThat(error("fs.write('alias/x.txt', 'x')")).contains("path 'alias/x.txt' goes through the link 'alias'");
        assertThat(call("fs.rm('alias'); return fs.exists('alias'), fs.exists('real')")
                        .arg(2)
                        .toboolean())
                .isTrue();
        assertThat(dir.resolve("work/alias")).doesNotExist();
    }

    @Test
    void fsReadOfAFifoIsRefusedInsteadOfBlocking() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        assertThat(new ProcessBuilder("mkfifo", dir.resolve("work/pipe").toString())
                        .start()
                        .waitFor())
                .isZero();
        assertThat(error("return fs.read('pipe')"))
                .contains("path 'pipe' is not a regular file (a FIFO, socket or device)");
        assertThat(error("fs.write('pipe', 'x')")).contains("path 'pipe' is not a regular file");
    }

    @Test
    void listsMakesAndRemoves() throws Exception {
        Varargs r = call("fs.mkdir('d/e'); fs.write('d/e/f', '1'); fs.write('d/z', '2'); local l = fs.list('d'); "
                + "fs.rm('d', true); return l[1], l[2], fs.exists('d')");
        assertThat(r.arg(1).tojstring()).isEqualTo("e");
        assertThat(r.arg(2).tojstring()).isEqualTo("z");
        assertThat(r.arg(3).toboolean()).isFalse();
    }

    @Test
    void execRunsAnArgumentListAndReturnsOutputsAndCode() throws Exception {
        Varargs r = call("return exec.run({'sh', '-c', 'echo out; echo err >&2; exit 3'})");
        assertThat(r.arg(1).tojstring()).isEqualTo("out\n");
        assertThat(r.arg(2).tojstring()).isEqualTo("err\n");
        assertThat(r.arg(3).toint()).isEqualTo(3);
        // arguments are not split or interpreted by a shell
        assertThat(call("return exec({'echo', '$(id); rm -rf x'})").arg1().tojstring())
                .isEqualTo("$(id); rm -rf x\n");
        assertThat(error("exec.run('ls -l')")).contains("exec.run takes a list of arguments");
    }

    @Test
    void envSetOnlyChangesTheTasksOwnEnvironment() throws Exception {
        Varargs r = call(
                "env.set('DROVER_TEST_X', 'v1'); return env.get('DROVER_TEST_X'), exec.run({'sh', '-c', 'printf %s $DROVER_TEST_X'})");
        assertThat(r.arg(1).tojstring()).isEqualTo("v1");
        assertThat(r.arg(2).tojstring()).isEqualTo("v1");
        assertThat(System.getenv("DROVER_TEST_X")).isNull();
        assertThat(call("return env.get('NOPE_NOT_SET', 'dflt')").arg1().tojstring())
                .isEqualTo("dflt");
    }

    @Test
    void jsonRoundTrips() throws Exception {
        Varargs r =
                call("local t = json.decode('{\"a\":[1,2,{\"b\":true}]}'); return t.a[3].b, json.encode({ x = 1 })");
        assertThat(r.arg(1).toboolean()).isTrue();
        assertThat(r.arg(2).tojstring()).isEqualTo("{\"x\":1}");
    }

    @Test
    void eachTaskCallGetsItsOwnGlobals() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        LuaInterpreter in = new LuaInterpreter(new WorkflowSource("flow.lua", """
        Shared = 'file'
        Set = function() Leak = 'set'; Shared = 'changed'; return Leak end
        Get = function() return Leak, Shared end"""));
        assertThat(in.callGlobal("Set", scope(), LuaValue.NONE).arg1().tojstring())
                .isEqualTo("set");
        Varargs r = in.callGlobal("Get", scope(), LuaValue.NONE);
        assertThat(r.arg(1).isnil()).isTrue();
        assertThat(r.arg(2).tojstring()).isEqualTo("file");
    }

    @Test
    void tablesAndLocalsTheTopLevelMadeAreEachTasksOwnAndAsTheFileLeftThemForTheNext() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        LuaInterpreter in = new LuaInterpreter(new WorkflowSource("flow.lua", """
        local count = 0
        local cache = {}
        local function bump() count = count + 1; return count end
        local function seen() return count end
        Config = { nested = { n = 0 }, list = { 1, 2, 3 } }
        Config.self = Config
        local weak = setmetatable({}, { __mode = 'k' })
        Change = function()
          bump(); bump(); cache.x = 'kept'; Config.nested.n = 5; table.insert(Config.list, 4)
          getmetatable(weak).__mode = nil; getmetatable(weak).extra = 'changed'
          return seen(), cache.x, Config.self.nested.n, Config.self == Config
        end
        Read = function()
          return count, cache.x, Config.nested.n, #Config.list, getmetatable(weak).extra, getmetatable(weak).__mode
        end"""));
        Varargs changed = in.callGlobal("Change", scope(), LuaValue.NONE);
        // within one call the copy has the original's shape: two closures share one count, Config.self is Config
        assertThat(changed.arg(1).toint()).isEqualTo(2);
        assertThat(changed.arg(2).tojstring()).isEqualTo("kept");
        assertThat(changed.arg(3).toint()).isEqualTo(5);
        assertThat(changed.arg(4).toboolean()).isTrue();
        Varargs next = in.callGlobal("Read", scope(), LuaValue.NONE);
        assertThat(next.arg(1).toint()).isZero();
        assertThat(next.arg(2).isnil()).isTrue();
        assertThat(next.arg(3).toint()).isZero();
        assertThat(next.arg(4).toint()).isEqualTo(3);
        assertThat(next.arg(5).isnil()).isTrue();
        assertThat(next.arg(6).tojstring()).isEqualTo("k");
    }

    @Test
    void copiedTablesBehaveAsTheOriginalsForKeysMetatablesAndIteration() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        LuaInterpreter in = new LuaInterpreter(new WorkflowSource("flow.lua", """
        local Account = {}
        Account.__index = Account
        function Account.new(n) return setmetatable({ balance = n }, Account) end
        function Account:add(n) self.balance = self.balance + n; return self.balance end
        local acct = Account.new(10)
        local key = {}
        local byTable = { [key] = 'found' }
        local list = { 'a', 'b', 'c' }
        local big = {}
        for i = 1, 1000 do big[i] = { i = i } end
        Use = function()
          local parts = {}
          for i, v in ipairs(list) do parts[#parts + 1] = i .. v end
          local sum = 0
          for _, e in pairs(big) do sum = sum + e.i end
          return acct:add(5), byTable[key], table.concat(parts, ','), #big, big[500].i, big[1000.0].i, sum,
            getmetatable(acct) == Account
        end"""));
        for (int call = 1; call <= 2; call++) {
            Varargs r = in.callGlobal("Use", scope(), LuaValue.NONE);
            assertThat(r.arg(1).toint()).as("call %d", call).isEqualTo(15);
            assertThat(r.arg(2).tojstring()).isEqualTo("found");
            assertThat(r.arg(3).tojstring()).isEqualTo("1a,2b,3c");
            assertThat(r.arg(4).toint()).isEqualTo(1000);
            assertThat(r.arg(5).toint()).isEqualTo(500);
            assertThat(r.arg(6).toint()).isEqualTo(1000);
            assertThat(r.arg(7).toint()).isEqualTo(500500);
            assertThat(r.arg(8).toboolean()).isTrue();
        }
    }

    @Test
    void aGlobalATaskSetsToNilIsNilForItAndBackForTheNext() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        LuaInterpreter in = new LuaInterpreter(new WorkflowSource("flow.lua", """
        Shared = { 'file' }
        Drop = function() Shared = nil; return Shared end
        Get = function() return Shared[1] end"""));
        assertThat(in.callGlobal("Drop", scope(), LuaValue.NONE).arg1().isnil()).isTrue();
        assertThat(in.callGlobal("Get", scope(), LuaValue.NONE).arg1().tojstring())
                .isEqualTo("file");
    }

    @Test
    void aLongChainOfTablesIsCopiedWithoutOverflowingTheStack() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        LuaInterpreter in = new LuaInterpreter(new WorkflowSource("flow.lua", """
        local head = {}
        for i = 1, 200000 do head = { next = head, i = i } end
        Walk = function()
          local n, t = 0, head
          while t.next do n = n + 1; t = t.next end
          local before = head.i
          head.i = -1
          return n, before
        end"""));
        Varargs r = in.callGlobal("Walk", scope(), LuaValue.NONE);
        assertThat(r.arg(1).toint()).isEqualTo(200000);
        assertThat(in.callGlobal("Walk", scope(), LuaValue.NONE).arg(2).toint()).isEqualTo(200000);
    }

    @Test
    void logAndPrintGoToTheTaskLog() throws Exception {
        call("log.warn('careful', 42); print('plain')");
        assertThat(log).containsExactly("[warn] careful 42", "plain");
    }

    @Test
    void modulesThatNeedATaskSayWhenUsedAtLoadTime() {
        assertThatThrownBy(() -> new LuaInterpreter(new WorkflowSource("flow.lua", "\nfs.write('x', 'y')")))
                .isInstanceOf(WorkflowException.class)
                .hasMessage("flow.lua:2: fs.write can only be used inside a task's function, not while the file loads");
    }

    @Test
    void patternsMatchAsLuaDefinesThem() throws Exception {
        Varargs r = call("""
        local out = {}
        local function add(...) for i = 1, select('#', ...) do out[#out + 1] = tostring((select(i, ...))) end end
        add(("hello world"):find("o w"))                 -- 5 7
        add(("hello world"):find("l+"))                  -- 3 4
        add(("key = value"):match("^(%w+)%s*=%s*(%w+)$")) -- key value
        add(("f(a(b)c)d"):match("%b()"))                 -- (a(b)c)
        add(("THE (quick) fox"):find("%f[%a]%a+", 5))    -- 6 10
        add(("abc"):gsub("%w", "%0%0"))                  -- aabbcc 3
        add(("hello"):gsub("l", { l = "L" }))            -- heLLo 2
        add(("x=1, y=2"):gsub("(%w+)=(%w+)", "%2=%1"))   -- 1=x, 2=y 2
        add(("abc"):gsub("", "-"))                       -- -a-b-c- 4
        add(string.match("  trim  ", "^%s*(.-)%s*$"))    -- trim
        add(string.find("a.b", ".", 1, true))            -- 2 2
        add(("aaa"):match("()a()"))                       -- 1 2
        add(("[x]"):match("[%[](.)[%]]"))                -- x
        add(("2024-01-05"):match("(%d+)-(%d+)-(%d+)"))   -- 2024 01 05
        add(("abab"):match("(ab)%1"))                    -- ab
        local words = {}
        for w in ("one two  three"):gmatch("%a+") do words[#words + 1] = w end
        add(table.concat(words, ","))                    -- one,two,three
        add(("x"):rep(3, ","))                           -- x,x,x
        add(("abc"):find("b", -2))                       -- 2 2
        add(("abc"):find("z"))                           -- nil
        return table.concat(out, " ")""");
        assertThat(r.arg1().tojstring())
                .isEqualTo("5 7 3 4 key value (a(b)c) 6 10 aabbcc 3 heLLo 2 1=x, 2=y 2 -a-b-c- 4"
                        + " trim 2 2 1 2 x 2024 01 05 ab one,two,three x,x,x 2 2 nil");
    }

    @Test
    void malformedPatternsAreLuaErrors() {
        assertThat(error("return ('x'):find('%')")).contains("malformed pattern (ends with '%')");
        assertThat(error("return ('x'):find('[a')")).contains("malformed pattern (missing ']')");
        assertThat(error("return ('x'):find('(x')")).contains("unfinished capture");
    }

    @Test
    void aBacktrackingPatternStopsWhenItsTaskIsStopped() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        LuaInterpreter in = new LuaInterpreter(
                new WorkflowSource("flow.lua", "Fn = function() return ('a'):rep(4000):find('.-.-.-.-b') end"));
        assertThat(stopWhileRunning(in, "Fn")).startsWith("stopped");
    }

    @Test
    void stringRepRefusesAResultOverTheLimit() {
        assertThat(error("return ('x'):rep(1e9)"))
                .contains("string.rep: the result would be 1000000000 bytes, over" + " Drover's limit");
    }

    @Test
    void coroutinesLeftSuspendedEndWithTheirTask() throws Exception {
        long before = coroutineThreads();
        Varargs r = call("""
        local cos = {}
        for i = 1, 100 do
          local co = coroutine.create(function() coroutine.yield(i); return 'never' end)
          coroutine.resume(co)
          cos[#cos + 1] = co
        end
        return coroutine.status(cos[1])""");
        assertThat(r.arg1().tojstring()).isEqualTo("suspended");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> coroutineThreads() <= before);
    }

    @Test
    void aTaskCannotHoldMoreThanItsShareOfCoroutines() {
        assertThat(error("""
        for i = 1, 1000 do
          local co = coroutine.create(function() coroutine.yield() end)
          local ok, err = coroutine.resume(co)
          if not ok then error(err, 0) end
        end""")).contains("too many coroutines: a task may have at most 256");
    }

    /** Calls {@code fn} on another thread, stops it once it is seen running, and returns how the call ended. */
    private String stopWhileRunning(LuaInterpreter in, String fn) throws Exception {
        CompletableFuture<String> ended = CompletableFuture.supplyAsync(() -> {
            try {
                in.callGlobal(fn, scope(), LuaValue.NONE);
                return "returned";
            } catch (LuaError e) {
                return LuaErrors.message(e);
            }
        });
        Awaitility.await().pollDelay(Duration.ofMillis(50)).until(() -> !ended.isDone());
        in.requestStop();
        return ended.get(10, TimeUnit.SECONDS);
    }

    private static long coroutineThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("Coroutine-"))
                .count();
    }

    @Test
    void loadRunsInTheTasksOwnEnvironmentUnderItsStopSignal() throws Exception {
        Files.createDirectories(dir.resolve("work"));
        LuaInterpreter in = new LuaInterpreter(new WorkflowSource("flow.lua", """
        Set = function() load('Loaded = 1')(); local t = {}; load('y = 2', 'c', 't', t)(); return Loaded, t.y end
        Get = function() return Loaded end
        Spin = function() load('while true do end', 'spin', 't', {})() end"""));
        Varargs r = in.callGlobal("Set", scope(), LuaValue.NONE);
        assertThat(r.arg(1).toint()).isEqualTo(1);
        assertThat(r.arg(2).toint()).isEqualTo(2);
        assertThat(in.callGlobal("Get", scope(), LuaValue.NONE).arg1().isnil()).isTrue();
        assertThat(stopWhileRunning(in, "Spin")).isEqualTo("spin:1 stopped: cancelled");
    }

    @Test
    void aTopLevelThatNeverReturnsFailsTheLoadWithOneLine() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> new LuaInterpreter(new WorkflowSource("flow.lua", "\nwhile true do end")))
                .isInstanceOf(WorkflowException.class)
                .hasMessageStartingWith("flow.lua:2: stopped: the file's top level did not finish within 10s");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void aMemoryBombEndsAtTheStringLimitWithOneLine() {
        assertThatThrownBy(() -> new LuaInterpreter(
                        new WorkflowSource("flow.lua", "local s = 'x'; while true do s = s .. s end")))
                .isInstanceOf(WorkflowException.class)
                .hasMessageStartingWith("flow.lua:1: '..' would make a string of 536870912 bytes, over Drover's limit");
    }

    @Test
    void aConcatenationAfterAPcallIsStillBoundedByTheStringLimit() {
        // pcall reports a call and a return to the hook; counting only the return lost the caller's frame, and with it
        // every check of the rest of the function
        assertThat(error("pcall(function() end)\nlocal s = 'x'; while true do s = s .. s end"))
                .contains("'..' would make a string of 536870912 bytes, over Drover's limit");
        assertThat(error("pcall(error, 'x'); xpcall(function() end, print)\nlocal deps = {}\nreturn deps.create.x"))
                .contains("attempt to index deps.create (a nil value)");
    }

    @Test
    void aTaskThatHoldsMoreThanItsMemoryIsStoppedWithOneLineAndTheNextTaskRuns() throws Exception {
        long before = TaskMemory.limit();
        TaskMemory.limit(32 << 20);
        try {
            // a table of distinct strings, held through an upvalue, a global and a coroutine's frame in turn
            for (String hold : List.of(
                    "local t = {}\nlocal function grow() for i = 1, 1e9 do t[i] = tostring(i) .. string.rep('x', 100) end end\ngrow()",
                    "held = {}\nfor i = 1, 1e9 do held[#held + 1] = { i, tostring(i) } end",
                    "local co = coroutine.wrap(function() local t = {} for i = 1, 1e9 do t[i] = i * 0.5; if i % 1000 == 0 then"
                            + " coroutine.yield() end end end)\nwhile true do co(); local waste = {} end")) {
                String message = error(hold);
                assertThat(message).as(hold).contains("stopped: the task holds more than 32 MiB of Lua values");
                assertThat(message).contains("(DROVER_LUA_MEMORY)");
            }
            // what stays under the limit runs, however much it allocates and drops on the way
            assertThat(call("local n = 0\nfor i = 1, 2e5 do local t = { tostring(i), i } n = n + #t end\nreturn n")
                            .arg1()
                            .toint())
                    .isEqualTo(400_000);
        } finally {
            TaskMemory.limit(before);
        }
    }

    @Test
    void theMemoryLimitIsReadFromTheEnvironmentWithUnitsOrIsAQuarterOfTheHeap() {
        assertThat(TaskMemory.Setting.bytes(null, 4L << 30)).isEqualTo(1L << 30);
        assertThat(TaskMemory.Setting.bytes("512m", 4L << 30)).isEqualTo(512L << 20);
        assertThat(TaskMemory.Setting.bytes("2G", 4L << 30)).isEqualTo(2L << 30);
        assertThat(TaskMemory.Setting.bytes("65536", 4L << 30)).isEqualTo(65536);
        assertThatThrownBy(() -> TaskMemory.Setting.bytes("lots", 1))
                .hasMessage(
                        "DROVER_LUA_MEMORY must be a positive number of bytes (a k, m or g suffix may follow), not 'lots'");
    }
}
