package io.drover.core.dsl;

import io.drover.core.Suggestions;
import io.drover.core.WorkflowException;
import io.drover.core.lua.LuaConvert;
import io.drover.core.lua.LuaInterpreter;
import io.drover.core.lua.LuaRuntime;
import io.drover.core.lua.ParamRefs;
import io.drover.core.model.Backoff;
import io.drover.core.model.Command;
import io.drover.core.model.Delegation;
import io.drover.core.model.Durations;
import io.drover.core.model.Group;
import io.drover.core.model.Memory;
import io.drover.core.model.Names;
import io.drover.core.model.SourceLocation;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.model.Workflow;
import io.drover.core.model.WorkflowSource;
import io.drover.core.state.StateLimits;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * Loads a workflow file into the model. Stateless; thread-safe.
 *
 * <pre>
 * TaskDefinitions = {
 *   build = {                                   -- a group
 *     description = "...", delegate_to = ...,   -- plus any task field, as a default for its tasks
 *     tasks = {
 *       { name = "compile", command = "make", depends_on = "fetch", retries = 2, timeout = "5m" },
 *     },
 *   },
 * }
 * </pre>
 */
public final class WorkflowLoader {
    /** Every field a task may have. */
    public static final Set<String> TASK_FIELDS = Set.of(
            "name",
            "description",
            "command",
            "depends_on",
            "params",
            "env",
            "workdir",
            "retries",
            "backoff",
            "timeout",
            "run_if",
            "delegate_to",
            "queue",
            "tags",
            "artifacts",
            "memory");

    /** Every field a group may have: its own, and task fields as defaults (all but {@code name}). */
    public static final Set<String> GROUP_FIELDS;

    static {
        Set<String> g = new LinkedHashSet<>(List.of("description", "tasks", "delegate_to"));
        TASK_FIELDS.stream()
                .filter(f -> !f.equals("name") && !f.equals("description"))
                .forEach(g::add);
        GROUP_FIELDS = Set.copyOf(g);
    }

    private static final Set<String> BACKOFF_FIELDS = Set.of("initial", "max", "factor", "jitter");
    private static final Set<String> DELEGATE_FIELDS = Set.of("address", "agent", "token", "sync");
    private static final Set<String> SYNC_FIELDS = Set.of("exclude", "links_out");
    private static final Set<String> MEMORY_FIELDS = Set.of("scope", "load", "max");

    /** Every field name above, and the others the reader looks up, as Lua strings made once; and back. */
    private static final Map<String, LuaString> LUA_KEYS;

    private static final Map<LuaString, String> JAVA_KEYS;

    static {
        Map<String, LuaString> lua = new HashMap<>();
        Map<LuaString, String> java = new HashMap<>();
        for (Set<String> fields : List.of(
                TASK_FIELDS,
                GROUP_FIELDS,
                BACKOFF_FIELDS,
                DELEGATE_FIELDS,
                SYNC_FIELDS,
                MEMORY_FIELDS,
                Set.of("kind"))) {
            for (String f : fields) {
                LuaString k = LuaString.valueOf(f);
                lua.put(f, k);
                java.put(k, f);
            }
        }
        LUA_KEYS = Map.copyOf(lua);
        JAVA_KEYS = Map.copyOf(java);
    }

    /** A loaded workflow and the Lua that evaluated it (its functions run there). */
    public record Loaded(Workflow workflow, LuaRuntime lua) {}

    private WorkflowLoader() {}

    /**
     * Reads and loads a file; errors name it as given (keep it relative for readable messages).
     *
     * @throws WorkflowException for anything wrong with the file
     */
    public static Loaded load(Path file) {
        String text;
        try {
            long size = Files.size(file);
            if (size > LuaInterpreter.MAX_SOURCE_CHARS) {
                throw new WorkflowException(
                        null,
                        file + " has " + size + " bytes, over Drover's limit of " + LuaInterpreter.MAX_SOURCE_CHARS
                                + " for a workflow file");
            }
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new WorkflowException(null, "no such file: " + file);
        } catch (MalformedInputException e) {
            throw new WorkflowException(null, file + " is not UTF-8 text");
        } catch (IOException e) {
            throw new WorkflowException(null, "cannot read " + file + ": " + e.getMessage());
        }
        return load(new WorkflowSource(file.toString(), text));
    }

    /** Loads a workflow from source text. */
    public static Loaded load(WorkflowSource source) {
        LuaInterpreter in = new LuaInterpreter(source);
        Workflow wf = new Reader(source, in, LineIndex.of(source.text())).read();
        return new Loaded(wf, new LuaRuntime(in));
    }

    /** Reads the TaskDefinitions table of one evaluated file. */
    private static final class Reader {
        private final WorkflowSource source;
        private final LuaInterpreter in;
        private final LineIndex lines;

        Reader(WorkflowSource source, LuaInterpreter in, LineIndex lines) {
            this.source = source;
            this.in = in;
            this.lines = lines;
        }

        private SourceLocation at(int line) {
            return new SourceLocation(source.name(), line);
        }

        Workflow read() {
            LuaValue defs = in.global("TaskDefinitions");
            if (defs.isnil()) {
                throw new WorkflowException(
                        at(0),
                        "no TaskDefinitions table: the file must set TaskDefinitions = { group = { tasks = { ... } } }");
            }
            if (!defs.istable()) {
                throw new WorkflowException(at(0), "TaskDefinitions must be a table, not a " + defs.typename());
            }
            List<String> names = new ArrayList<>();
            for (LuaValue key : keys((LuaTable) defs)) {
                if (!isString(key)) {
                    throw new WorkflowException(
                            at(0),
                            "TaskDefinitions holds a value under " + key.tojstring()
                                    + ": its keys must be group names, like build = { tasks = { ... } }");
                }
                names.add(key.tojstring());
            }
            // In the order written when the lines are known; by name otherwise.
            names.sort(Comparator.<String>comparingInt(n -> {
                        int l = lines.group(n).line();
                        return l == 0 ? Integer.MAX_VALUE : l;
                    })
                    .thenComparing(Comparator.naturalOrder()));
            List<Group> groups = new ArrayList<>();
            for (String name : names) groups.add(group(name, defs.get(name)));
            if (groups.stream().allMatch(g -> g.tasks().isEmpty())) {
                throw new WorkflowException(at(0), "TaskDefinitions has no tasks");
            }
            return Workflow.of(source, groups);
        }

        private Group group(String name, LuaValue value) {
            LineIndex.Lines gl = lines.group(name);
            String what = "group '" + name + "'";
            if (!TaskId.isValidName(name)) {
                throw new WorkflowException(
                        at(gl.line()), "bad group name '" + name + "': use letters, digits, '_' and '-'");
            }
            if (!value.istable()) {
                throw new WorkflowException(
                        at(gl.line()), what + " must be a table with a tasks list, not a " + value.typename());
            }
            Fields g = new Fields((LuaTable) value, what, gl, GROUP_FIELDS);
            LuaValue tasksValue = g.raw("tasks");
            if (tasksValue.isnil()) throw g.error("tasks", what + " has no tasks list");
            if (!tasksValue.istable()) throw g.error("tasks", "tasks of " + what + " must be a list of tables");
            LuaTable list = (LuaTable) tasksValue;
            int n = list.length();
            for (LuaValue k : keys(list)) {
                if (!k.isinttype() || k.toint() < 1 || k.toint() > n) {
                    throw g.error(
                            "tasks",
                            "tasks of " + what + " must be a list { {...}, {...} }, but has the key " + k.tojstring());
                }
            }
            List<TaskSpec> tasks = new ArrayList<>();
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 1; i <= n; i++) tasks.add(groupTask(name, what, i, list.get(i), gl, g, seen));
            return new Group(name, g.string("description", null), tasks, at(gl.line()));
        }

        /** Task {@code i} of a group, not named as one before it ({@code seen}: name to line). */
        private TaskSpec groupTask(
                String name, String what, int i, LuaValue t, LineIndex.Lines gl, Fields g, Map<String, Integer> seen) {
            LineIndex.Lines tl = lines.task(name, i);
            if (!t.istable()) {
                throw new WorkflowException(
                        at(tl.line() > 0 ? tl.line() : gl.field("tasks")),
                        "task " + i + " of " + what + " must be a table, not a " + t.typename());
            }
            TaskSpec spec = task(name, i, new Fields((LuaTable) t, "task " + i + " of " + what, tl, TASK_FIELDS), g);
            Integer prev = seen.putIfAbsent(spec.id().name(), tl.line());
            if (prev != null) {
                throw new WorkflowException(
                        spec.location(),
                        "duplicate task '" + spec.id() + "'"
                                + (prev > 0 ? " (first defined at line " + prev + ")" : ""));
            }
            return spec;
        }

        private TaskSpec task(String group, int index, Fields t, Fields g) {
            LuaValue nameValue = t.raw("name");
            if (nameValue.isnil()) throw t.error("name", t.what + " has no name");
            if (!isString(nameValue)) throw t.error("name", "the name of " + t.what + " must be a string");
            String name = nameValue.tojstring();
            if (!TaskId.isValidName(name)) {
                throw t.error(
                        "name",
                        "bad task name '" + name + "' in group '" + group + "': use letters, digits, '_' and '-'");
            }
            TaskId id = new TaskId(group, name);
            t.rename("task '" + id + "'");
            // A task field, else the group's default. Group defaults are reported at the group's line.
            Fields src;
            LuaValue commandValue = t.raw("command");
            Command command;
            if (!commandValue.isnil()) {
                command = command(commandValue, t, "command", new Command.LuaFunction(group, index, "command"));
            } else if (!g.raw("command").isnil()) {
                command = command(g.raw("command"), g, "command", new Command.LuaFunction(group, 0, "command"));
            } else {
                throw new WorkflowException(at(t.lines.line()), "task '" + id + "' has no command");
            }
            src = t.has("run_if") ? t : g;
            Command runIf = null;
            if (src.has("run_if")) {
                runIf = command(
                        src.raw("run_if"),
                        src,
                        "run_if",
                        new Command.LuaFunction(group, src == t ? index : 0, "run_if"));
                if (runIf instanceof Command.Plugin)
                    throw src.error("run_if", "run_if of " + src.what + " must be a function or a shell command");
            }
            Set<TaskId> deps = new LinkedHashSet<>(); // in the order written, each once, in constant time per entry
            dependencies(g, group, deps);
            dependencies(t, group, deps);

            Map<String, Object> params = new LinkedHashMap<>(g.map("params"));
            params.putAll(t.map("params"));
            Map<String, String> env = new LinkedHashMap<>(g.stringMap("env"));
            env.putAll(t.stringMap("env"));
            Map<String, String> tags = new LinkedHashMap<>(g.stringMap("tags"));
            tags.putAll(t.stringMap("tags"));

            src = t.has("retries") ? t : g;
            int retries = src.nonNegativeInt("retries", 0);
            src = t.has("backoff") ? t : g;
            Backoff backoff = src.backoff("backoff");
            src = t.has("timeout") ? t : g;
            Duration timeout = src.duration("timeout");
            src = t.has("workdir") ? t : g;
            String workdir = src.string("workdir", "");
            src = t.has("queue") ? t : g;
            String queue = src.string("queue", null);
            if (queue != null && !Names.isName(queue)) {
                throw src.error(
                        "queue",
                        "bad queue name '" + queue + "' of " + src.what
                                + ": use 1 to 64 letters, digits, '_', '.' and '-'");
            }
            for (Map.Entry<String, String> tag : tags.entrySet()) {
                if (!Names.isName(tag.getKey()) || !Names.isName(tag.getValue())) {
                    Fields at = t.has("tags") ? t : g;
                    throw at.error(
                            "tags",
                            "bad tag '" + tag.getKey() + "=" + tag.getValue() + "' of " + at.what
                                    + ": use 1 to 64 letters, digits, '_', '.' and '-' in names and values");
                }
            }
            src = t.has("delegate_to") ? t : g;
            Delegation delegation = src.delegation("delegate_to");
            src = t.has("artifacts") ? t : g;
            List<String> artifacts = src.strings("artifacts", "artifacts", src.raw("artifacts"));
            for (String a : artifacts) {
                if (a.isBlank() || a.startsWith("!") || a.contains("..") || a.indexOf('\0') >= 0)
                    throw src.error(
                            "artifacts",
                            "bad artifact pattern '" + a + "' of " + src.what
                                    + ": a path pattern inside the workspace (dist/*.tgz, out/, **/*.jar)");
            }

            src = t.has("memory") ? t : g;
            Memory memory = src.memory("memory");

            return new TaskSpec(
                    id,
                    t.string("description", ""),
                    command,
                    List.copyOf(deps),
                    params,
                    env,
                    workdir,
                    retries,
                    backoff,
                    timeout,
                    runIf,
                    delegation,
                    queue,
                    tags,
                    artifacts,
                    memory,
                    at(t.lines.line() > 0 ? t.lines.line() : g.lines.line()));
        }

        private void dependencies(Fields f, String group, Set<TaskId> into) {
            LuaValue v = f.raw("depends_on");
            if (v.isnil()) return;
            List<LuaValue> items = new ArrayList<>();
            if (isString(v)) {
                items.add(v);
            } else if (v.istable()) {
                LuaTable l = (LuaTable) v;
                for (int i = 1; i <= l.length(); i++) items.add(l.get(i));
            } else {
                throw f.error(
                        "depends_on",
                        "depends_on of " + f.what + " must be a task name or a list of them, not a " + v.typename());
            }
            for (LuaValue item : items) {
                if (!isString(item))
                    throw f.error("depends_on", "depends_on of " + f.what + " must list task names (strings)");
                String s = item.tojstring();
                TaskId id;
                if (s.contains(".")) {
                    try {
                        id = TaskId.parse(s);
                    } catch (IllegalArgumentException e) {
                        throw f.error(
                                "depends_on", "bad dependency '" + s + "' in " + f.what + ": write task or group.task");
                    }
                } else {
                    id = new TaskId(group, s);
                }
                into.add(id);
            }
        }

        private Command command(LuaValue v, Fields f, String field, Command.LuaFunction asFunction) {
            if (v.isfunction()) return asFunction;
            if (isString(v)) {
                String s = v.tojstring();
                if (s.isBlank()) throw f.error(field, field + " of " + f.what + " is empty");
                return new Command.Shell(s);
            }
            if (v.istable()) {
                LuaValue kind = v.get("kind");
                if (!kind.isstring()) {
                    throw f.error(
                            field,
                            field + " of " + f.what
                                    + " is a table without a kind: use a shell string, a function, or { kind = \"...\", ... }");
                }
                Object cfg = LuaConvert.toJava(v);
                @SuppressWarnings("unchecked")
                Map<String, Object> config = new LinkedHashMap<>((Map<String, Object>) cfg);
                config.remove("kind");
                return new Command.Plugin(kind.tojstring(), config);
            }
            throw f.error(
                    field,
                    field + " of " + f.what + " must be a shell command (string) or a function, not a " + v.typename());
        }

        /**
         * The Lua string of a field name, made once: a workflow of 10,000 tasks reads a dozen fields of each, and
         * {@code rawget(String)} encodes its key anew on every call.
         */
        private static LuaString luaKey(String field) {
            LuaString k = LUA_KEYS.get(field);
            return k != null ? k : LuaString.valueOf(field);
        }

        private final class Fields {
            private final LuaTable table;
            private final LineIndex.Lines lines;
            private String what;

            Fields(LuaTable table, String what, LineIndex.Lines lines, Set<String> allowed) {
                this.table = table;
                this.what = what;
                this.lines = lines;
                LuaValue k = LuaValue.NIL;
                while (!(k = table.next(k).arg1()).isnil()) {
                    if (!isString(k)) {
                        throw new WorkflowException(
                                at(lines.line()),
                                what + " has a value without a field name (" + k.tojstring() + " = ...)");
                    }
                    String known = k instanceof LuaString ls ? JAVA_KEYS.get(ls) : null; // no decoding for a field
                    String key = known != null ? known : k.tojstring();
                    if (!allowed.contains(key)) {
                        String name = table.get("name").isstring()
                                ? "task '" + table.get("name").tojstring() + "'"
                                : what;
                        throw new WorkflowException(
                                at(lines.field(key)),
                                "unknown field '" + key + "' in " + name + Suggestions.didYouMean(key, allowed));
                    }
                }
            }

            void rename(String newWhat) {
                this.what = newWhat;
            }

            WorkflowException error(String field, String message) {
                return new WorkflowException(at(lines.field(field)), message);
            }

            LuaValue raw(String field) {
                return table.rawget(luaKey(field));
            }

            boolean has(String field) {
                return !raw(field).isnil();
            }

            String string(String field, String def) {
                LuaValue v = raw(field);
                if (v.isnil()) return def;
                if (!v.isstring())
                    throw error(field, field + " of " + what + " must be a string, not a " + v.typename());
                return v.tojstring();
            }

            int nonNegativeInt(String field, int def) {
                LuaValue v = raw(field);
                if (v.isnil()) return def;
                if (v.type() != LuaValue.TNUMBER
                        || v.todouble() != Math.rint(v.todouble())
                        || v.todouble() < 0
                        || v.todouble() > 1000) {
                    throw error(
                            field, field + " of " + what + " must be a whole number from 0 to 1000, not " + show(v));
                }
                return v.toint();
            }

            Duration duration(String field) {
                LuaValue v = raw(field);
                if (v.isnil()) return null;
                Duration d = durationOf(field, v);
                if (d.isZero()) throw error(field, field + " of " + what + " must be more than zero");
                return d;
            }

            private Duration durationOf(String field, LuaValue v) {
                if (!v.isstring() && !v.isnumber())
                    throw error(
                            field, field + " of " + what + " must be a duration like \"90s\", not a " + v.typename());
                try {
                    return Durations.parse(v.tojstring());
                } catch (IllegalArgumentException e) {
                    throw error(field, e.getMessage() + " (" + field + " of " + what + ")");
                }
            }

            Backoff backoff(String field) {
                LuaValue v = raw(field);
                if (v.isnil()) return Backoff.DEFAULT;
                try {
                    if (v.isstring() || v.isnumber()) {
                        return Backoff.startingAt(durationOf(field, v));
                    }
                    if (!v.istable())
                        throw error(
                                field,
                                "backoff of " + what
                                        + " must be a duration or { initial = ..., max = ..., factor = ..., jitter = ... }");
                    LuaTable b = (LuaTable) v;
                    for (LuaValue k : keys(b)) {
                        if (!BACKOFF_FIELDS.contains(k.tojstring())) {
                            throw error(
                                    field,
                                    "unknown field '" + k.tojstring() + "' in backoff of " + what
                                            + Suggestions.didYouMean(k.tojstring(), BACKOFF_FIELDS));
                        }
                    }
                    Duration initial =
                            b.get("initial").isnil() ? Backoff.DEFAULT_INITIAL : durationOf(field, b.get("initial"));
                    Duration max = b.get("max").isnil()
                            ? (initial.compareTo(Backoff.DEFAULT_MAX) > 0 ? initial : Backoff.DEFAULT_MAX)
                            : durationOf(field, b.get("max"));
                    LuaValue factor = b.get("factor");
                    if (!factor.isnil() && !factor.isnumber())
                        throw error(field, "backoff factor of " + what + " must be a number");
                    LuaValue jitter = b.get("jitter");
                    if (!jitter.isnil() && !jitter.isboolean())
                        throw error(field, "backoff jitter of " + what + " must be true or false");
                    return new Backoff(
                            initial,
                            max,
                            factor.isnil() ? Backoff.DEFAULT_FACTOR : factor.todouble(),
                            jitter.isnil() || jitter.toboolean());
                } catch (IllegalArgumentException e) {
                    throw error(field, e.getMessage() + " (" + what + ")");
                }
            }

            Map<String, Object> map(String field) {
                LuaValue v = raw(field);
                if (v.isnil()) return Map.of();
                if (!v.istable())
                    throw error(
                            field,
                            field + " of " + what + " must be a table like { key = value }, not a " + v.typename());
                Object o;
                try {
                    o = LuaConvert.toJava(v);
                } catch (IllegalArgumentException e) {
                    throw error(field, field + " of " + what + ": " + e.getMessage());
                }
                if (o instanceof List<?> l && !l.isEmpty())
                    throw error(field, field + " of " + what + " must be a table like { key = value }, not a list");
                @SuppressWarnings("unchecked")
                Map<String, Object> m = o instanceof Map<?, ?> ? (Map<String, Object>) o : Map.of();
                return m;
            }

            Map<String, String> stringMap(String field) {
                Map<String, String> out = new LinkedHashMap<>();
                LuaValue v = raw(field);
                if (v.istable()) {
                    LuaTable t = (LuaTable) v;
                    boolean list = t.length() > 0;
                    if (list) {
                        for (int i = 1; i <= t.length(); i++) out.put(t.get(i).tojstring(), "true");
                        return out;
                    }
                }
                map(field).forEach((k, val) -> {
                    if (val instanceof Map || val instanceof List)
                        throw error(field, field + "." + k + " of " + what + " must be a string or a number");
                    out.put(k, LuaConvert.toEnvText(val));
                });
                return out;
            }

            Memory memory(String field) {
                LuaValue v = raw(field);
                if (v.isnil()) return null;
                String usage = "memory of " + what + " must be a table like { scope = \"workflow\", load = \"history\","
                        + " max = 100 }";
                if (!v.istable()) throw error(field, usage);
                LuaTable t = (LuaTable) v;
                onlyFields(field, t, MEMORY_FIELDS, "memory");
                LuaValue load = t.get("load");
                if (!isString(load) || load.tojstring().isEmpty())
                    throw error(field, "memory of " + what + " needs load = \"KEY\", the list it loads and appends to");
                int max = StateLimits.DEFAULT_LIST_MAX;
                if (!t.get("max").isnil()) {
                    if (!t.get("max").isinttype() || t.get("max").toint() < 1)
                        throw error(field, "memory max of " + what + " must be a whole number of at least 1");
                    max = t.get("max").toint();
                }
                LuaValue scope = t.get("scope");
                if (scope.isnil() || isString(scope)) {
                    String named = scope.isnil() ? "workflow" : scope.tojstring();
                    if (!Set.of("run", "workflow", "global").contains(named))
                        throw error(
                                field,
                                "memory scope of " + what + " must be \"run\", \"workflow\", \"global\" or"
                                        + " a table like { user_id = params.user }, not '" + named + "'");
                    return new Memory(named, Map.of(), load.tojstring(), max);
                }
                if (!scope.istable()) throw error(field, usage);
                Map<String, Memory.Field> fields = new LinkedHashMap<>();
                LuaValue k = LuaValue.NIL;
                while (true) {
                    Varargs kv = scope.next(k);
                    if ((k = kv.arg1()).isnil()) break;
                    LuaValue val = kv.arg(2);
                    String param = ParamRefs.nameOf(val);
                    if (!isString(k) || (param == null && !isString(val) && !val.isboolean()))
                        throw error(
                                field,
                                "memory scope of " + what + " holds names and text or params.NAME, like"
                                        + " { user_id = params.user }");
                    fields.put(
                            k.tojstring(),
                            param != null ? Memory.Field.param(param) : Memory.Field.text(val.tojstring()));
                }
                if (fields.isEmpty()) throw error(field, "memory scope of " + what + " is an empty table");
                return new Memory(null, fields, load.tojstring(), max);
            }

            Delegation delegation(String field) {
                LuaValue v = raw(field);
                if (v.isnil()) return null;
                if (v.isboolean()) {
                    if (v.toboolean())
                        throw error(
                                field,
                                "delegate_to of " + what
                                        + " must be false, an agent name, an address or { address = ... }");
                    return Delegation.LOCAL;
                }
                List<String> addresses = new ArrayList<>();
                List<String> agents = new ArrayList<>();
                String token = null;
                Sync sync = Sync.NONE;
                if (v.isstring()) {
                    target(v.tojstring(), addresses, agents);
                } else if (v.istable()) {
                    LuaTable t = (LuaTable) v;
                    if (t.length() > 0) {
                        for (String s : strings(field, "delegate_to", t)) target(s, addresses, agents);
                    } else {
                        onlyFields(field, t, DELEGATE_FIELDS, "delegate_to");
                        addresses.addAll(strings(field, "address in delegate_to", t.get("address")));
                        agents.addAll(strings(field, "agent in delegate_to", t.get("agent")));
                        if (!t.get("token").isnil()) token = t.get("token").tojstring();
                        sync = sync(field, t.get("sync"));
                    }
                } else {
                    throw error(
                            field,
                            "delegate_to of " + what
                                    + " must be false, an agent name, an address or { address = ... }, not a "
                                    + v.typename());
                }
                if (addresses.isEmpty() && agents.isEmpty())
                    throw error(field, "delegate_to of " + what + " names no agent");
                return new Delegation(addresses, agents, token, sync.exclude(), sync.linksOut());
            }

            /** A delegation's {@code sync = { exclude = ..., links_out = ... }}. */
            private record Sync(List<String> exclude, boolean linksOut) {
                static final Sync NONE = new Sync(List.of(), false);
            }

            private Sync sync(String field, LuaValue sync) {
                if (sync.isnil()) return Sync.NONE;
                if (!sync.istable())
                    throw error(field, "sync in delegate_to of " + what + " must be a table, not a " + sync.typename());
                onlyFields(field, (LuaTable) sync, SYNC_FIELDS, "sync of delegate_to");
                LuaValue out = sync.get("links_out");
                if (!out.isnil() && !out.isboolean())
                    throw error(field, "links_out in delegate_to of " + what + " must be true or false");
                return new Sync(strings(field, "exclude in delegate_to", sync.get("exclude")), out.toboolean());
            }

            /** Refuses a field of {@code table} that is not one of {@code allowed}, naming it and what was meant. */
            private void onlyFields(String field, LuaTable table, Set<String> allowed, String where) {
                for (LuaValue k : keys(table)) {
                    if (!allowed.contains(k.tojstring())) {
                        throw error(
                                field,
                                "unknown field '" + k.tojstring() + "' in " + where + " of " + what
                                        + Suggestions.didYouMean(k.tojstring(), allowed));
                    }
                }
            }

            /** A string or a list of strings ({@code name} says which in errors); none for nil. */
            private List<String> strings(String field, String name, LuaValue v) {
                if (v.isnil()) return List.of();
                if (v.isstring()) return List.of(v.tojstring());
                if (!v.istable()) throw error(field, name + " of " + what + " must be a string or a list of strings");
                List<String> out = new ArrayList<>();
                for (int i = 1; i <= v.length(); i++) {
                    if (!v.get(i).isstring())
                        throw error(field, name + " of " + what + " lists something that is not a string");
                    out.add(v.get(i).tojstring());
                }
                return out;
            }

            private void target(String s, List<String> addresses, List<String> agents) {
                if (s.contains(":")) addresses.add(s);
                else agents.add(s);
            }
        }
    }

    /** A real string: LuaJ's isstring() is also true for numbers. */
    private static boolean isString(LuaValue v) {
        return v.type() == LuaValue.TSTRING;
    }

    private static String show(LuaValue v) {
        return isString(v) ? "'" + v.tojstring() + "'" : v.tojstring();
    }

    private static List<LuaValue> keys(LuaTable t) {
        List<LuaValue> out = new ArrayList<>();
        LuaValue k = LuaValue.NIL;
        while (true) {
            Varargs kv = t.next(k);
            if ((k = kv.arg1()).isnil()) break;
            out.add(k);
        }
        return out;
    }
}
