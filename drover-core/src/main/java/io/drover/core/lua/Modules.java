package io.drover.core.lua;

import io.drover.core.Errors;
import io.drover.core.model.Durations;
import io.drover.core.process.Cancellation;
import io.drover.core.process.Commands;
import io.drover.core.process.TaskEnvironment;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.VarArgFunction;

/** Drover's Lua modules: {@code log}, {@code exec}, {@code fs}, {@code env}, {@code json}, {@code state}. */
final class Modules {
    private Modules() {}

    static void install(Globals g, LuaInterpreter in) {
        g.rawset("log", log(in));
        g.rawset("exec", exec(in));
        g.rawset("fs", fs(in));
        g.rawset("env", env(in));
        g.rawset("json", json());
        StateModule.install(g, in);
        g.rawset("params", ParamRefs.PARAMS);
        // os.getenv reads what env.get reads: the task's variables, then what tasks inherit (no DROVER_* settings)
        ((LuaTable) g.rawget("os")).rawset("getenv", ((LuaTable) g.rawget("env")).rawget("get"));
    }

    /** A Lua function from a lambda; Java exceptions become Lua errors naming the function. */
    static VarArgFunction fn(String name, Body body) {
        String label = name; // inside the class below, "name" is LuaJ's field of the function, not this parameter
        return new VarArgFunction() {
            {
                this.name = label; // what LuaJ's own argument errors name
            }

            @Override
            public Varargs invoke(Varargs args) {
                try {
                    return body.call(args);
                } catch (LuaError e) {
                    throw e;
                } catch (IOException | RuntimeException e) {
                    throw new LuaError(label + ": " + describe(e));
                }
            }
        };
    }

    private static String describe(Exception e) {
        if (e instanceof NoSuchFileException n) return "no such file: " + n.getFile();
        if (e instanceof DirectoryNotEmptyException d)
            return "directory not empty: " + d.getFile() + " (use fs.rm(path, true))";
        return Errors.describe(e);
    }

    @FunctionalInterface
    interface Body {
        Varargs call(Varargs args) throws IOException;
    }

    // ---- log ----

    private static LuaTable log(LuaInterpreter in) {
        LuaTable t = new LuaTable();
        for (String level : new String[] {"debug", "info", "warn", "error"}) {
            String prefix = "[" + level + "] ";
            t.rawset(level, fn("log." + level, args -> {
                StringBuilder sb = new StringBuilder(prefix);
                for (int i = 1; i <= args.narg(); i++) {
                    if (i > 1) sb.append(' ');
                    sb.append(args.arg(i).tojstring());
                }
                TaskScope s = in.scope();
                if (s == null) {
                    System.err.println(in.source().name() + ": " + sb);
                } else {
                    s.log().line(sb.toString());
                }
                return LuaValue.NONE;
            }));
        }
        return t;
    }

    // ---- exec ----

    private static LuaTable exec(LuaInterpreter in) {
        LuaTable t = new LuaTable();
        VarArgFunction run = fn("exec.run", args -> {
            TaskScope s = in.requireScope("exec.run");
            LuaValue argvValue = args.arg1();
            if (!argvValue.istable()) {
                throw new LuaError("exec.run takes a list of arguments, like exec.run({\"ls\", \"-l\"}); got a "
                        + argvValue.typename());
            }
            List<String> argv = new ArrayList<>();
            LuaTable a = (LuaTable) argvValue;
            for (int i = 1; i <= a.length(); i++) argv.add(a.get(i).checkjstring());
            if (argv.isEmpty()) throw new LuaError("exec.run: the argument list is empty");
            LuaValue opts = args.arg(2);
            Path dir = workdir(s);
            Map<String, String> env = new LinkedHashMap<>(s.env());
            Cancellation cancel = s.cancellation();
            Cancellation own = null;
            if (opts.istable()) {
                if (!opts.get("dir").isnil()) dir = confine(s, opts.get("dir").checkjstring());
                LuaValue e = opts.get("env");
                if (e.istable()) {
                    LuaValue k = LuaValue.NIL;
                    while (true) {
                        Varargs kv = e.next(k);
                        if ((k = kv.arg1()).isnil()) break;
                        env.put(k.tojstring(), kv.arg(2).tojstring());
                    }
                }
                if (!opts.get("timeout").isnil()) {
                    // A timeout of its own: a child cancellation that the task's cancellation also fires.
                    Cancellation child = new Cancellation();
                    own = child;
                    long ms = Durations.parse(opts.get("timeout").tojstring()).toMillis();
                    Cancellation.Registration reg =
                            cancel.onCancel(() -> child.cancel(Cancellation.Cause.CANCELLED, "cancelled"));
                    Thread timer = Thread.ofVirtual().start(() -> {
                        try {
                            Thread.sleep(ms);
                            child.cancel(Cancellation.Cause.TIMED_OUT, "timed out");
                        } catch (InterruptedException ignored) {
                            // finished first
                        }
                    });
                    try {
                        return result(Commands.capture(argv, dir, env, child), in);
                    } finally {
                        timer.interrupt();
                        reg.close();
                    }
                }
            }
            return result(Commands.capture(argv, dir, env, own == null ? cancel : own), in);
        });
        t.rawset("run", run);
        LuaTable meta = new LuaTable();
        meta.rawset("__call", fn("exec", args -> run.invoke(args.subargs(2))));
        t.setmetatable(meta);
        return t;
    }

    private static Varargs result(Commands.Captured c, LuaInterpreter in) {
        in.checkStop();
        return LuaValue.varargsOf(
                new LuaValue[] {LuaValue.valueOf(c.stdout()), LuaValue.valueOf(c.stderr()), LuaValue.valueOf(c.code())
                });
    }

    // ---- fs ----

    /** Resolves a path inside the task's working directory, refusing absolute paths, {@code ..} and escaping links. */
    static Path confine(TaskScope s, String path) throws IOException {
        Path root = workdir(s);
        Path p = Path.of(path);
        if (p.isAbsolute())
            throw new LuaError("path '" + path + "' is absolute: fs works inside the task's working directory only");
        Path resolved = root.resolve(p).normalize();
        if (!resolved.startsWith(root)) throw new LuaError("path '" + path + "' leaves the task's working directory");
        // Follow links on the part that exists: it must still be inside the (real) root.
        Path realRoot = root.toRealPath();
        Path existing = resolved;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) existing = existing.getParent();
        if (existing != null && existing.startsWith(root)) {
            Path real = Files.exists(existing) ? existing.toRealPath() : existing;
            if (!real.startsWith(realRoot))
                throw new LuaError("path '" + path + "' leads out of the task's working directory through a link");
        }
        return resolved;
    }

    /** The task's working directory, created on first use. */
    static Path workdir(TaskScope s) throws IOException {
        s.workdirUsed().set(true);
        Path root = s.workdir().toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) Files.createDirectories(root);
        return root;
    }

    /** The task's working directory as confined files (created on first use). */
    private static ConfinedFiles files(LuaInterpreter in, String what) throws IOException {
        return new ConfinedFiles(workdir(in.requireScope(what)));
    }

    private static LuaTable fs(LuaInterpreter in) {
        LuaTable t = new LuaTable();
        t.rawset(
                "read", fn("fs.read", a -> LuaValue.valueOf(files(in, "fs.read").read(a.checkjstring(1)))));
        t.rawset("write", fn("fs.write", a -> {
            files(in, "fs.write").write(a.checkjstring(1), a.arg(2).checkjstring(), false);
            return LuaValue.NONE;
        }));
        t.rawset("append", fn("fs.append", a -> {
            files(in, "fs.append").write(a.checkjstring(1), a.arg(2).checkjstring(), true);
            return LuaValue.NONE;
        }));
        t.rawset(
                "exists",
                fn("fs.exists", a -> LuaValue.valueOf(files(in, "fs.exists").exists(a.checkjstring(1)))));
        t.rawset("list", fn("fs.list", a -> {
            List<String> names = files(in, "fs.list").list(a.optjstring(1, "."));
            LuaTable out = new LuaTable();
            for (int i = 0; i < names.size(); i++) out.rawset(i + 1, LuaValue.valueOf(names.get(i)));
            return out;
        }));
        t.rawset("mkdir", fn("fs.mkdir", a -> {
            files(in, "fs.mkdir").mkdir(a.checkjstring(1));
            return LuaValue.NONE;
        }));
        t.rawset("rm", fn("fs.rm", a -> {
            files(in, "fs.rm").rm(a.checkjstring(1), a.optboolean(2, false));
            return LuaValue.NONE;
        }));
        return t;
    }

    // ---- env ----

    private static LuaTable env(LuaInterpreter in) {
        LuaTable t = new LuaTable();
        t.rawset("get", fn("env.get", a -> {
            String name = a.checkjstring(1);
            TaskScope s = in.scope();
            String v = s != null ? s.env().get(name) : null;
            if (v == null) v = TaskEnvironment.get(name);
            return v == null ? a.arg(2) : LuaValue.valueOf(v);
        }));
        t.rawset("set", fn("env.set", a -> {
            TaskScope s = in.requireScope("env.set");
            s.env().put(a.checkjstring(1), a.arg(2).checkjstring());
            return LuaValue.NONE;
        }));
        return t;
    }

    // ---- json ----

    private static LuaTable json() {
        LuaTable t = new LuaTable();
        t.rawset("encode", fn("json.encode", a -> LuaValue.valueOf(Json.write(LuaConvert.toJava(a.arg1())))));
        t.rawset("decode", fn("json.decode", a -> LuaConvert.toLua(Json.read(a.checkjstring(1)))));
        return t;
    }
}
