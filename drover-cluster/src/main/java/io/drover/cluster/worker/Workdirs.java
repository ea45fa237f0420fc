package io.drover.cluster.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** A worker's directories: the default one, leftovers of killed workers, and attempts' directories removed. */
final class Workdirs {
    private Workdirs() {}

    /** The directory a worker without --workdir makes: {@code $TMPDIR/drover-worker-<host>-<pid>-<random>}. */
    static boolean isDefault(Path dir) {
        Path parent = dir.toAbsolutePath().getParent();
        return parent != null
                && parent.equals(Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath())
                && dir.getFileName().toString().startsWith("drover-worker-");
    }

    /**
     * Removes the default directories of workers of this host whose process is gone (killed: nothing removed
     * them), so killed workers do not fill the temporary directory. A directory whose name holds no pid of this
     * host, or whose process lives, is left alone.
     */
    static void sweepDefaults(Path mine) {
        if (!isDefault(mine)) return;
        String name = mine.getFileName().toString(); // drover-worker-<host>-<pid>-<random>
        Matcher m = Pattern.compile("^(drover-worker-.+)-(\\d+)-[0-9a-f]+$").matcher(name);
        if (!m.matches()) return;
        String host = m.group(1);
        try (Stream<Path> siblings = Files.list(mine.getParent())) {
            for (Path d : siblings.toList()) {
                Matcher o = Pattern.compile("^" + Pattern.quote(host) + "-(\\d+)-[0-9a-f]+$")
                        .matcher(d.getFileName().toString());
                if (!o.matches() || d.equals(mine) || !Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) continue;
                long pid = Long.parseLong(o.group(1));
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
                deleteQuietly(d);
            }
        } catch (IOException | RuntimeException e) {
            // only tidying up
        }
    }

    static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException | RuntimeException e) { // a file gone meanwhile (UncheckedIOException from the walk)
            // a leftover directory of a finished attempt is harmless
        }
    }
}
