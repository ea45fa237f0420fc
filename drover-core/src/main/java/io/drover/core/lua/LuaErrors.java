package io.drover.core.lua;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.luaj.vm2.LuaError;

/** Turns LuaJ's error texts into Drover's form: {@code flow.lua:12: what went wrong}. */
public final class LuaErrors {
    private static final Pattern STRING_CHUNK = Pattern.compile("\\[string \"(.*?)\"\\]:(\\d+):\\s*");
    private static final Pattern NO_COLON = Pattern.compile("^(.+?\\.lua):(\\d+) (?!:)");
    private static final Pattern SYMBOL = Pattern.compile("unexpected symbol \\d+ \\((.+?)\\)");

    private LuaErrors() {}

    public static String message(LuaError e) {
        String m = e.getMessage();
        return m == null ? "error" : normalize(m);
    }

    public static String normalize(String text) {
        String m = STRING_CHUNK.matcher(text).replaceAll("$1:$2: ");
        Matcher nc = NO_COLON.matcher(m);
        if (nc.find()) m = nc.replaceFirst(Matcher.quoteReplacement(nc.group(1) + ":" + nc.group(2) + ": "));
        m = SYMBOL.matcher(m).replaceAll("unexpected symbol '$1'");
        return tokenNames(m).strip();
    }

    /** LuaJ prints a reserved word's token code as a character ('Ć' for 'end'); name it. */
    private static final String[] TOKENS = {
        "and",
        "break",
        "do",
        "else",
        "elseif",
        "end",
        "false",
        "for",
        "function",
        "goto",
        "if",
        "in",
        "local",
        "nil",
        "not",
        "or",
        "repeat",
        "return",
        "then",
        "true",
        "until",
        "while",
        "..",
        "...",
        "==",
        ">=",
        "<=",
        "~=",
        "::",
        "<eof>",
        "<number>",
        "<name>",
        "<string>"
    };

    private static String tokenNames(String m) {
        StringBuilder sb = null;
        for (int i = 0; i < m.length(); i++) {
            char c = m.charAt(i);
            if (c >= 257
                    && c < 257 + TOKENS.length
                    && i > 0
                    && m.charAt(i - 1) == '\''
                    && i + 1 < m.length()
                    && m.charAt(i + 1) == '\'') {
                if (sb == null) sb = new StringBuilder(m.substring(0, i));
                sb.append(TOKENS[c - 257]);
            } else if (sb != null) {
                sb.append(c);
            }
        }
        return sb == null ? m : sb.toString();
    }
}
