package io.drover.cluster.queue;

import io.drover.core.DroverException;
import io.drover.core.Errors;
import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisLoadingException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisReadOnlyException;

/**
 * A Redis call of the fleet's storage layer failed. Every failure of a call through {@link RedisLink} arrives as
 * this, mapped once by {@link #of}: a {@link Kind} that says what Redis said (or that it could not be reached), and
 * {@link #isRetryable()} that says whether the same call may succeed later (a restart, a failover, a script
 * running long) or never will (a refused password, a bad command).
 */
public final class StoreException extends DroverException {
    /** What went wrong, as Redis said it. */
    public enum Kind {
        /** Redis could not be reached, or the connection broke. */
        CONNECTION(true),
        /** No reply in time. */
        TIMEOUT(true),
        /** Redis is loading its data after a restart ({@code LOADING}). */
        LOADING(true),
        /** A replica answered a write: a failover is under way ({@code READONLY}). */
        READ_ONLY(true),
        /** Redis is busy running a script ({@code BUSY}). */
        BUSY(true),
        /** A stream's consumer group exists already ({@code BUSYGROUP}). */
        GROUP_EXISTS(false),
        /** Redis does not know a script (after a restart): load it and call again ({@code NOSCRIPT}). */
        NO_SCRIPT(true),
        /** A stream or its consumer group is missing ({@code NOGROUP}). */
        NO_GROUP(true),
        /** Redis refuses this client: password, user or permission ({@code NOAUTH}, {@code WRONGPASS}, {@code NOPERM}). */
        REFUSED(false),
        /** Out of memory under {@code maxmemory} ({@code OOM}): writes fail until memory is freed. */
        OUT_OF_MEMORY(true),
        /** Any other error reply: a bug or a Redis too old for a command. */
        COMMAND(false);

        private final boolean retryable;

        Kind(boolean retryable) {
            this.retryable = retryable;
        }
    }

    private final Kind kind;

    private StoreException(Kind kind, String message, Throwable cause) {
        super(message, cause, kind.retryable);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** The one mapping from what Lettuce throws to a {@link StoreException}; a StoreException is returned as it is. */
    public static StoreException of(Throwable t) {
        if (t instanceof StoreException s) return s;
        String m = String.valueOf(t.getMessage());
        Kind kind;
        if (t instanceof RedisCommandTimeoutException) kind = Kind.TIMEOUT;
        else if (t instanceof RedisConnectionException) kind = Kind.CONNECTION;
        else if (t instanceof RedisNoScriptException || m.startsWith("NOSCRIPT")) kind = Kind.NO_SCRIPT;
        else if (t instanceof RedisLoadingException || m.startsWith("LOADING")) kind = Kind.LOADING;
        else if (t instanceof RedisReadOnlyException || m.startsWith("READONLY")) kind = Kind.READ_ONLY;
        else if (m.startsWith("BUSYGROUP")) kind = Kind.GROUP_EXISTS;
        else if (t instanceof RedisBusyException || m.startsWith("BUSY")) kind = Kind.BUSY;
        else if (m.startsWith("NOGROUP")) kind = Kind.NO_GROUP;
        else if (m.startsWith("NOAUTH") || m.startsWith("WRONGPASS") || m.startsWith("NOPERM")) kind = Kind.REFUSED;
        else if (m.startsWith("OOM")) kind = Kind.OUT_OF_MEMORY;
        else if (t instanceof RedisCommandExecutionException) kind = Kind.COMMAND;
        else kind = Kind.CONNECTION; // closed channel, connection reset, an interrupted call, a client shut down
        String why = t instanceof RedisCommandExecutionException
                ? "Redis refused a command: " + m
                : "Redis call failed: " + Errors.describe(t);
        return new StoreException(kind, why, t);
    }
}
