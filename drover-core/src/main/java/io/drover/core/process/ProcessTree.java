package io.drover.core.process;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Starts processes and kills whole trees. Every process of a tree carries the tree's tag in the environment
 * variable {@value #TAG_VARIABLE} (children inherit it), so the tree is found again, even the parts that were
 * re-parented or started their own session, by scanning {@code /proc/<pid>/environ}, together with
 * {@link ProcessHandle#descendants()}. Finding the tree costs nothing while it runs; only killing scans. Where
 * there is no {@code /proc}, descendants still linked to the process are all that is found. A process that must
 * outlive its task can leave the tree by clearing the variable ({@code DROVER_PROCESS_TAG= nohup ./server &}).
 * Thread-safe.
 */
public final class ProcessTree {
    /** The environment variable that marks the processes of one tree. */
    public static final String TAG_VARIABLE = "DROVER_PROCESS_TAG";

    /** How long a tree gets between SIGTERM and SIGKILL. */
    public static final long DEFAULT_GRACE_MILLIS = 2000;

    private static final Path PROC = Path.of("/proc");
    private static final boolean HAS_PROC = Files.isDirectory(PROC.resolve("self"));
    private static final File DEV_NULL = new File("/dev/null");
    /**
     * Tasks run in a session of their own (util-linux {@code setsid}; {@code -w} waits, should it have to fork), so a
     * signal to the terminal's process group (Ctrl-C) reaches Drover alone, which then cancels the task: a process
     * killed by a cancel is a cancelled task, never one whose command failed under a function that succeeded.
     */
    private static final String SETSID = Files.isExecutable(Path.of("/usr/bin/setsid")) ? "/usr/bin/setsid" : null;
    /** Trees whose root has not been seen to exit, for {@link #killAllNow}. */
    private static final Set<ProcessTree> LIVE = ConcurrentHashMap.newKeySet();

    private final Process process;
    private final String tag;

    private ProcessTree(Process process, String tag) {
        this.process = process;
        this.tag = tag;
    }

    /**
     * Starts {@code argv} in {@code dir} with {@code env} added to the environment tasks inherit
     * ({@link TaskEnvironment}); stdin is /dev/null.
     *
     * @param mergeStderr whether stderr goes into stdout
     */
    public static ProcessTree start(List<String> argv, Path dir, Map<String, String> env, boolean mergeStderr)
            throws IOException {
        String tag = Long.toHexString(ThreadLocalRandom.current().nextLong()) + Long.toHexString(System.nanoTime());
        List<String> cmd = argv;
        if (SETSID != null) {
            cmd = new ArrayList<>(argv.size() + 2);
            cmd.add(SETSID);
            cmd.add("-w");
            cmd.addAll(argv);
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectInput(DEV_NULL);
        pb.redirectErrorStream(mergeStderr);
        Map<String, String> e = pb.environment();
        e.keySet().removeIf(TaskEnvironment::isDroverSetting); // Drover's own settings hold credentials
        if (!env.isEmpty()) e.putAll(env);
        e.put(TAG_VARIABLE, tag);
        ProcessTree t = new ProcessTree(pb.start(), tag);
        LIVE.add(t);
        return t;
    }

    /**
     * SIGKILL, at once, to every tree this process started that may still run: for a process that must exit now
     * (a second Ctrl-C) and must not leave its tasks' processes behind.
     */
    public static void killAllNow() {
        for (ProcessTree t : List.copyOf(LIVE)) {
            Set<ProcessHandle> tree = t.members();
            tree.forEach(ProcessHandle::destroyForcibly);
            t.process.destroyForcibly();
            LIVE.remove(t);
        }
    }

    public Process process() {
        return process;
    }

    /**
     * Kills the process and everything it started: SIGTERM to the whole tree, then, after up to {@code graceMillis}
     * for the process to exit, SIGKILL to whatever is left. Returns when the process has exited.
     */
    public void kill(long graceMillis) {
        Set<ProcessHandle> tree = members();
        tree.forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            process.waitFor(graceMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        tree.addAll(members());
        tree.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        LIVE.remove(this);
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * SIGKILL to what is left of the tree after its root exited: background children that outlived their shell.
     * Cheap enough for every task: only processes started after the root (a higher pid) are examined.
     */
    public void killRemains() {
        members(process.pid()).forEach(ProcessHandle::destroyForcibly);
        LIVE.remove(this);
    }

    /** Every live process of the tree: descendants of the root, and every process that carries the tag. */
    Set<ProcessHandle> members() {
        return members(0);
    }

    /**
     * As {@link #members()}, but in /proc only pids above {@code minPid} (0 for all). The kernel hands out pids in
     * order and {@code /proc/loadavg} names the last one, so the candidates are few; when the pid counter wrapped
     * or the range is large, every process is examined instead.
     */
    private Set<ProcessHandle> members(long minPid) {
        Set<ProcessHandle> out = new LinkedHashSet<>();
        if (minPid == 0) process.descendants().forEach(out::add); // after the root exited, its children moved away
        if (!HAS_PROC) return out;
        byte[] needle = (TAG_VARIABLE + "=" + tag + "\0").getBytes(StandardCharsets.US_ASCII);
        long self = ProcessHandle.current().pid();
        // the tree's session: a task runs in a session of its own, led by the root (setsid)
        long session = SETSID != null ? process.pid() : -1;
        long last = minPid > 0 ? lastPid() : -1;
        if (last >= minPid && last - minPid <= MAX_PROBES) {
            for (long pid = minPid + 1; pid <= last; pid++) {
                if (pid != self) probe(pid, needle, session, out);
            }
            return out;
        }
        // The pid counter wrapped since the root started (the last pid is below it): a child may have any pid, so
        // every process is examined (the tag keeps strangers out).
        long above = last >= 0 && last < minPid ? 0 : minPid;
        try (DirectoryStream<Path> pids =
                Files.newDirectoryStream(PROC, p -> isNumber(p.getFileName().toString()))) {
            for (Path p : pids) {
                long pid = Long.parseLong(p.getFileName().toString());
                if (pid != self && pid > above) probe(pid, needle, session, out);
            }
        } catch (IOException e) {
            // no /proc after all: descendants only
        }
        return out;
    }

    private static final long MAX_PROBES = 4096;

    /**
     * Adds {@code pid} if it carries the tree's tag. A process in the middle of an exec shows an empty environment
     * for a moment (the kernel fills it in after switching the memory): such a process counts when it is in the
     * tree's session. One that cleared the tag to outlive its task has an environment without it, and stays out.
     */
    private static void probe(long pid, byte[] needle, long session, Set<ProcessHandle> into) {
        try {
            byte[] env = Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("environ"));
            if (contains(env, needle) || (env.length == 0 && session > 0 && sessionOf(pid) == session)) {
                ProcessHandle.of(pid).ifPresent(into::add);
            }
        } catch (IOException | SecurityException e) {
            // no such process, or not ours to read
        }
    }

    /** The session of a process (the sixth field of /proc/PID/stat), or -1. */
    private static long sessionOf(long pid) throws IOException {
        String stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.US_ASCII);
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        try {
            return f.length > 3 ? Long.parseLong(f[3]) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The pid the kernel handed out last (the fifth field of /proc/loadavg), or -1. */
    private static long lastPid() {
        try {
            String[] f = Files.readString(PROC.resolve("loadavg"), StandardCharsets.US_ASCII)
                    .trim()
                    .split("\\s+");
            return f.length >= 5 ? Long.parseLong(f[4]) : -1;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static boolean isNumber(String s) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
        return true;
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            if (i > 0 && hay[i - 1] != 0) continue; // variables start after a NUL
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return true;
        }
        return false;
    }
}
