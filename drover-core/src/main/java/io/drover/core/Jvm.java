package io.drover.core;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How Drover starts another JVM running Drover (tests, benchmarks): this JVM's java, the flags that keep newer
 * JDKs quiet about what protobuf and Netty use (the same as scripts/jdk.sh gives the launcher), this class path.
 */
public final class Jvm {
    private Jvm() {}

    /** Flags that silence JDK warnings about sun.misc.Unsafe (JDK 24+) and native access (JDK 22+). */
    public static List<String> quietFlags() {
        List<String> f = new ArrayList<>();
        int v = Runtime.version().feature();
        if (v >= 24) f.add("--sun-misc-unsafe-memory-access=allow");
        if (v >= 22) f.add("--enable-native-access=ALL-UNNAMED");
        return f;
    }

    /** {@code java <quiet flags> [jvmArgs] -cp <this class path> mainClass args...}. */
    public static List<String> command(List<String> jvmArgs, String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(quietFlags());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }
}
