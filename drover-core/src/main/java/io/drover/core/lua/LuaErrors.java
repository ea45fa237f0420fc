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
    return m.strip();
  }
}
