package io.drover.cluster.queue;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.BooleanOutput;
import io.lettuce.core.output.CommandOutput;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.output.NestedMultiOutput;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.output.ValueOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The queue's Lua scripts, run by SHA and loaded again when Redis lost them (a restart). Thread-safe. */
public final class Scripts {
    /** One script: its text and SHA. */
    public record Script(String name, String text, String sha) {}

    public static final Script SUBMIT = load("submit");
    public static final Script CLAIM = load("claim");
    public static final Script COMPLETE = load("complete");
    public static final Script RENEW = load("renew");
    public static final Script LOG = load("log");
    public static final Script PROMOTE = withLib("promote");
    public static final Script CANCEL = load("cancel");
    public static final Script HANDBACK = withLib("handback");
    public static final Script RESCUE = withLib("rescue");
    public static final Script RELEASE = load("release");
    public static final Script TRIM = load("trim");
    public static final Script FOLLOW = load("follow");
    public static final Script SOURCE = load("source");
    public static final Script SUBMIT_RUN = load("submit_run");
    public static final Script CANCEL_RUN = load("cancel_run");
    public static final Script CLAIM_RUN = load("claim_run");
    public static final Script WRITE_RUN = load("write_run");
    public static final Script TAKE_LEASE = load("take_lease");
    public static final Script RENEW_LEASE = load("renew_lease");

    private Scripts() {}

    private static Script load(String name) {
        return load(Scripts.class, name);
    }

    /** A script that puts tasks back on streams: {@code lib.lua} (its {@code requeue}) goes in front of it. */
    private static Script withLib(String name) {
        Script s = load(name);
        String text = load("lib").text() + s.text();
        return new Script(name, text, sha1(text));
    }

    /**
     * A script kept as {@code name.lua} next to {@code anchor} on the class path. The constants it shares with the
     * Java side are written in it as placeholders and filled in here, so each is defined once:
     * {@code {{GROUP}}} ({@link Keys#GROUP}) and {@code {{ENTRY_VERSION}}} ({@link TaskCodec#ENTRY_VERSION}).
     */
    static Script load(Class<?> anchor, String name) {
        try (InputStream in = anchor.getResourceAsStream(name + ".lua")) {
            if (in == null) throw new IllegalStateException("missing script " + name + ".lua");
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .replace("{{GROUP}}", Keys.GROUP)
                    .replace("{{ENTRY_VERSION}}", TaskCodec.ENTRY_VERSION);
            if (text.contains("{{")) throw new IllegalStateException("unknown placeholder in " + name + ".lua");
            return new Script(name, text, sha1(text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha1(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
            StringBuilder sb = new StringBuilder();
            for (byte b : d) sb.append(String.format("%02x", b));
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs a script; if Redis does not know it (after a restart), loads it and runs it again. */
    @SuppressWarnings(
            "TypeParameterUnusedInFormals") // the reply's type is the script's output type, chosen by the caller
    public static <T> T run(
            RedisClusterCommands<String, String> redis,
            Script s,
            ScriptOutputType type,
            String[] keys,
            String... args) {
        try {
            return redis.dispatch(CommandType.EVALSHA, output(type), evalsha(s, keys, args));
        } catch (StoreException e) {
            if (e.kind() != StoreException.Kind.NO_SCRIPT) throw e;
            redis.scriptLoad(s.text()); // on a cluster, this goes to the node that just answered: the key's node
            return redis.dispatch(CommandType.EVALSHA, output(type), evalsha(s, keys, args));
        }
    }

    /** Sends a script by SHA without waiting (the caller loaded it where it runs). */
    public static <T> RedisFuture<T> runAsync(
            RedisClusterAsyncCommands<String, String> redis,
            Script s,
            ScriptOutputType type,
            String[] keys,
            String... args) {
        return redis.dispatch(CommandType.EVALSHA, output(type), evalsha(s, keys, args));
    }

    /**
     * EVALSHA's arguments. The first key goes as a key (a cluster client routes a command by it; all keys of a call
     * share its slot); every other argument as a plain string, which Lettuce writes straight into the command's
     * buffer. Through the codec, each argument took a pooled buffer of its own: 14% of a worker's CPU went to
     * that when a call carries a hundred tasks.
     */
    private static CommandArgs<String, String> evalsha(Script s, String[] keys, String[] args) {
        CommandArgs<String, String> a =
                new CommandArgs<>(StringCodec.UTF8).add(s.sha()).add(keys.length);
        for (int i = 0; i < keys.length; i++) {
            if (i == 0) a.addKey(keys[0]);
            else a.add(keys[i]);
        }
        for (String v : args) a.add(v);
        return a;
    }

    @SuppressWarnings("unchecked")
    private static <T> CommandOutput<String, String, T> output(ScriptOutputType type) {
        StringCodec c = StringCodec.UTF8;
        return (CommandOutput<String, String, T>)
                switch (type) {
                    case BOOLEAN -> new BooleanOutput<>(c);
                    case INTEGER -> new IntegerOutput<>(c);
                    case STATUS -> new StatusOutput<>(c);
                    case MULTI -> new NestedMultiOutput<>(c);
                    case VALUE -> new ValueOutput<>(c);
                    default -> throw new IllegalArgumentException("script output " + type);
                };
    }
}
