package io.drover.core;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;

/** One line saying what went wrong, for exceptions whose text is for people: never {@code null}, never a class dump. */
public final class Errors {
    private Errors() {}

    /**
     * The message of {@code e}, else of the first cause that has one, else what its kind means in words; a message
     * that repeats its cause's ({@code "java.io.IOException: x"}) gives the cause's.
     */
    public static String describe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage();
            if (m != null && !m.isBlank() && !m.equals(String.valueOf(t.getCause()))) return m.strip();
            String words = words(t);
            if (words != null) return words;
        }
        return e.getClass()
                .getSimpleName()
                .replaceAll("(Exception|Error)$", "")
                .replaceAll("([a-z])([A-Z])", "$1 $2")
                .toLowerCase(Locale.ROOT);
    }

    private static String words(Throwable t) {
        if (t instanceof HttpConnectTimeoutException) return "connecting timed out";
        if (t instanceof HttpTimeoutException || t instanceof SocketTimeoutException) return "timed out";
        if (t instanceof ConnectException) return "connection refused";
        if (t instanceof NoRouteToHostException) return "no route to host";
        if (t instanceof UnknownHostException) return "unknown host";
        if (t instanceof ClosedChannelException) return "the connection was closed";
        return null;
    }
}
