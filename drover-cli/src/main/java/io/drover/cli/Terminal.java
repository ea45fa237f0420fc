package io.drover.cli;

import java.io.Console;

/**
 * Whether output goes to a terminal, whether it may use colour, and what reaches it from a task or from input:
 * control characters are shown, never obeyed.
 */
final class Terminal {
    private Terminal() {}

    /**
     * The launcher passes {@code -Ddrover.tty=1} when stdout is a terminal; otherwise ask the JVM's console, which
     * on JDK 22+ needs {@code isTerminal()} to tell a real terminal from a redirected one.
     */
    @SuppressWarnings("SystemConsoleNull") // null on JDK 21 without a terminal; isTerminal (22+) is asked after
    static boolean isInteractive(boolean stderr) {
        String prop = System.getProperty(stderr ? "drover.tty.err" : "drover.tty");
        if (prop != null) return prop.equals("1");
        Console c = System.console();
        if (c == null) return false;
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    static boolean colors(boolean interactive) {
        String term = System.getenv("TERM");
        return interactive && System.getenv("NO_COLOR") == null && (term == null || !term.equals("dumb"));
    }

    /**
     * {@code text} with every control character but tab written as {@code \xNN} (C0, DEL and C1), so a task's output
     * cannot set the window title, write the clipboard or move the cursor, and a name cannot break a line.
     */
    static String escape(String text) {
        if (text == null) return null;
        StringBuilder sb = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean control = (c < 0x20 && c != '\t') || (c >= 0x7f && c <= 0x9f);
            if (control && sb == null) sb = new StringBuilder(text.length() + 8).append(text, 0, i);
            if (sb != null) {
                if (control) sb.append(String.format("\\x%02x", (int) c));
                else sb.append(c);
            }
        }
        return sb == null ? text : sb.toString();
    }
}
