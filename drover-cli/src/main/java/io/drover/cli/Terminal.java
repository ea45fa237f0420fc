package io.drover.cli;

/** Whether output goes to a terminal, and whether it may use colour. */
final class Terminal {
  private Terminal() {}

  /**
   * The launcher passes {@code -Ddrover.tty=1} when stdout is a terminal; otherwise ask the JVM's console, which
   * on JDK 22+ needs {@code isTerminal()} to tell a real terminal from a redirected one.
   */
  static boolean isInteractive(boolean stderr) {
    String prop = System.getProperty(stderr ? "drover.tty.err" : "drover.tty");
    if (prop != null) return prop.equals("1");
    java.io.Console c = System.console();
    if (c == null) return false;
    try {
      return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
    } catch (ReflectiveOperationException e) {
      return true;
    }
  }

  static boolean colors(boolean interactive) {
    String term = System.getenv("TERM");
    return interactive && System.getenv("NO_COLOR") == null && (term == null || !term.equals("dumb"));
  }
}
