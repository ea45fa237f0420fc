package io.drover.cli;

import io.drover.core.lua.Json;
import io.drover.core.state.Namespaces;
import io.drover.core.state.StateException;
import io.drover.core.state.StateLimits;
import io.drover.core.state.StateScope;
import io.drover.core.state.StateStore;
import io.drover.core.state.StateStores;
import io.drover.core.state.Versioned;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code drover state get|set|incr|delete|keys|range}: what tasks keep in the state store, for operators. */
@Command(
        name = "state",
        description = "Read and change what tasks keep in the state store (state.scope, memory).",
        subcommands = {
            StateCommand.Get.class,
            StateCommand.Set.class,
            StateCommand.Incr.class,
            StateCommand.Delete.class,
            StateCommand.Keys.class,
            StateCommand.Range.class
        })
final class StateCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return Main.OK;
    }

    /** The store and scope every subcommand takes. */
    static final class Where {
        @Option(
                names = "--state-url",
                paramLabel = "URL",
                description = "The store: sqlite:PATH, postgres://USER@HOST/DB or redis://HOST:PORT. Default:"
                        + " $DROVER_STATE_URL, [state] url in drover.toml, else sqlite:.drover/state.db.")
        String stateUrl;

        @Option(
                names = "--scope",
                paramLabel = "SCOPE",
                defaultValue = "global",
                description = "workflow:NAME (a workflow's file name without .lua), run:ID, global, or NAME=VALUE,..."
                        + " for a table scope like { ns = \"team-a\" } (default ${DEFAULT-VALUE}).")
        String scope;

        StateStore open() {
            return StateStores.open(
                    Settings.load(null).localStateUrl(stateUrl), Path.of("").toAbsolutePath(), Clock.systemUTC());
        }

        /** The namespace {@code --scope} names: the same as {@code state.scope(...)} in a task. */
        String namespace() {
            if (scope.equals(Namespaces.GLOBAL)) return Namespaces.GLOBAL;
            if (scope.startsWith("workflow:")) return Namespaces.named("workflow", "", scope.substring(9));
            if (scope.startsWith("run:")) return Namespaces.named("run", scope.substring(4), "");
            Map<String, String> fields = new LinkedHashMap<>();
            for (String kv : scope.split(",")) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new Main.UserException("--scope: '" + Terminal.escape(scope) + "' is none of"
                            + " workflow:NAME, run:ID, global, NAME=VALUE,...");
                }
                fields.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            return Namespaces.of(fields);
        }

        <T> T call(Function<StateScope, T> body) {
            String ns = namespace();
            try (StateStore store = open()) {
                return body.apply(store.scope(ns));
            } catch (StateException e) {
                throw e.isRetryable() ? e : new Main.UserException(e.getMessage());
            }
        }
    }

    /** What every subcommand has: the store and scope it works on, and its command line. */
    abstract static class Sub implements Callable<Integer> {
        @Mixin
        Where where;

        @Spec
        CommandLine.Model.CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }
    }

    @Command(name = "get", description = "Print a value as JSON (exit 1 when the key is absent).")
    static final class Get extends Sub {
        @Parameters(paramLabel = "KEY")
        String key;

        @Option(names = "--show-version", description = "Print the value's version after it.")
        boolean version;

        @Override
        public Integer call() {
            PrintWriter out = out();
            Versioned v = where.call(s -> s.get(key));
            if (v == null) {
                spec.commandLine().getErr().println("no key '" + Terminal.escape(key) + "' in " + where.namespace());
                return Main.TASK_FAILED;
            }
            out.println(version ? v.json() + " " + v.version() : v.json());
            return Main.OK;
        }
    }

    @Command(name = "set", description = "Write a value: JSON, or else text.")
    static final class Set extends Sub {
        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Parameters(index = "1", paramLabel = "VALUE")
        String value;

        @Option(names = "--ttl", paramLabel = "DURATION", description = "How long it lives, like 30d.")
        String ttl;

        @Override
        public Integer call() {
            Duration d = StateLimits.ttl(key, ttl);
            String json = asJson(value);
            long version = where.call(s -> s.set(key, json, d));
            out().println("set " + key + " (version " + version + ")");
            return Main.OK;
        }
    }

    /** {@code 42}, {@code {"a":1}} and {@code "x"} as written; any other text as a JSON string. */
    static String asJson(String value) {
        try {
            Json.read(value);
            return value;
        } catch (IllegalArgumentException notJson) {
            return Json.write(value);
        }
    }

    @Command(name = "incr", description = "Add to an integer (1 unless given) and print the new value.")
    static final class Incr extends Sub {
        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Parameters(index = "1", paramLabel = "BY", defaultValue = "1")
        long by;

        @Override
        public Integer call() {
            long value = where.call(s -> s.incr(key, by));
            out().println(value);
            return Main.OK;
        }
    }

    @Command(name = "delete", description = "Remove a value or a list (exit 1 when there was none).")
    static final class Delete extends Sub {
        @Parameters(paramLabel = "KEY")
        String key;

        @Override
        public Integer call() {
            boolean had = where.call(s -> s.delete(key));
            out().println(had ? "deleted " + key : "no key '" + Terminal.escape(key) + "'");
            return had ? Main.OK : Main.TASK_FAILED;
        }
    }

    @Command(name = "keys", description = "List the keys of the scope (those starting with PREFIX).")
    static final class Keys extends Sub {
        @Parameters(paramLabel = "PREFIX", defaultValue = "")
        String prefix;

        @Override
        public Integer call() {
            PrintWriter out = out();
            where.call(s -> s.keys(prefix)).forEach(k -> out.println(Terminal.escape(k)));
            return Main.OK;
        }
    }

    @Command(
            name = "range",
            description = "Print a list's entries, a line each (from FROM to TO, 1-based, -1 the last).")
    static final class Range extends Sub {
        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Parameters(index = "1", paramLabel = "FROM", defaultValue = "1")
        long from;

        @Parameters(index = "2", paramLabel = "TO", defaultValue = "-1")
        long to;

        @Override
        public Integer call() {
            PrintWriter out = out();
            where.call(s -> s.slice(key, from, to)).forEach(out::println);
            return Main.OK;
        }
    }
}
