package io.drover.core.record;

import io.drover.core.model.RunId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** The runs recorded under one directory ({@code .drover/runs}). Thread-safe. */
public final class RunStore {
    private final Path root;

    public RunStore(Path root) {
        this.root = root;
    }

    /** {@code .drover/runs} under {@code dir}. */
    public static RunStore in(Path dir) {
        return new RunStore(dir.resolve(".drover").resolve("runs"));
    }

    public Path root() {
        return root;
    }

    public Path dirOf(String runId) {
        return root.resolve(RunId.parse(runId).toString()); // a run id names a directory: nothing else does
    }

    public Path logFile(String runId, String taskId) {
        return dirOf(runId).resolve("logs").resolve(taskId + ".log");
    }

    /** Writes {@code run.json} atomically: a reader sees the old record or the new one, never half of one. */
    public void write(String runId, Map<String, Object> record) {
        Path dir = dirOf(runId);
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "run", ".json.tmp");
            Files.writeString(tmp, RunJson.write(record, true) + "\n", StandardCharsets.UTF_8);
            try {
                Files.move(
                        tmp,
                        dir.resolve("run.json"),
                        StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve("run.json"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the record of run " + runId + " under " + dir, e);
        }
    }

    public Optional<Map<String, Object>> read(String runId) {
        try {
            return Optional.of(
                    RunJson.read(Files.readString(dirOf(runId).resolve("run.json"), StandardCharsets.UTF_8)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Run ids, newest first. */
    public List<String> list() {
        if (!Files.isDirectory(root)) return List.of();
        try (Stream<Path> s = Files.list(root)) {
            List<String> ids = new ArrayList<>(s.filter(p -> Files.exists(p.resolve("run.json")))
                    .map(p -> p.getFileName().toString())
                    .filter(id -> RunId.tryParse(id).isPresent())
                    .toList());
            ids.sort(Comparator.reverseOrder());
            return ids;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The unique run whose id starts with {@code prefix} ({@code last} for the newest).
     *
     * @throws IllegalArgumentException when none or several match
     */
    public String resolve(String prefix) {
        List<String> all = list();
        if (prefix.equals("last")) {
            if (all.isEmpty()) throw new IllegalArgumentException("no runs recorded under " + root);
            return all.get(0);
        }
        List<String> matches = all.stream().filter(id -> id.startsWith(prefix)).toList();
        if (matches.isEmpty()) throw new IllegalArgumentException("no run '" + prefix + "' under " + root);
        if (matches.size() > 1 && !matches.contains(prefix)) {
            throw new IllegalArgumentException("run id '" + prefix + "' is ambiguous: "
                    + String.join(", ", matches.subList(0, Math.min(5, matches.size()))));
        }
        return matches.contains(prefix) ? prefix : matches.get(0);
    }
}
