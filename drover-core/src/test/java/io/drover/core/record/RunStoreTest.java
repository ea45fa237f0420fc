package io.drover.core.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.drover.core.TestWorkflows;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunStoreTest {
    @TempDir
    Path dir;

    @Test
    void writesRecordsWholeAndListsThemNewestFirst() throws Exception {
        RunStore store = RunStore.in(dir);
        store.write("20260101-000000-aaaa", Map.of("run_id", "20260101-000000-aaaa", "status", "succeeded"));
        store.write("20260102-000000-bbbb", Map.of("run_id", "20260102-000000-bbbb", "status", "running"));
        store.write("20260102-000000-bbbb", Map.of("run_id", "20260102-000000-bbbb", "status", "failed"));
        assertThat(store.list()).containsExactly("20260102-000000-bbbb", "20260101-000000-aaaa");
        assertThat(store.read("20260102-000000-bbbb").orElseThrow()).containsEntry("status", "failed");
        try (var files = Files.list(store.dirOf("20260102-000000-bbbb"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("run.json");
        }
        assertThat(store.resolve("last")).isEqualTo("20260102-000000-bbbb");
        assertThat(store.resolve("20260101")).isEqualTo("20260101-000000-aaaa");
        assertThatThrownBy(() -> store.resolve("2026")).hasMessageContaining("ambiguous");
    }

    @Test
    void refusesRunIdsThatAreNotPlainNames() {
        assertThatThrownBy(() -> RunStore.in(dir).dirOf("../../etc")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aTasksLogFileStopsAtItsCapAndSaysSo() throws Exception {
        RunStore store = RunStore.in(dir);
        RunRecorder r = new RunRecorder(store, "flow.lua", Map.of());
        r.onRunStarted("20260103-000000-cccc", 1);
        var task = TestWorkflows.load("TaskDefinitions = { g = { tasks = { { name = 't', command = 'true' } } } }")
                .workflow()
                .groups()
                .get(0)
                .tasks()
                .get(0);
        String line = "y".repeat(64 * 1024 - 1);
        long lines = RunRecorder.MAX_LOG_BYTES / (64 * 1024) + 10;
        for (long i = 0; i < lines; i++) r.onTaskLog(task, 1, line);
        Path log = store.logFile("20260103-000000-cccc", "g.t");
        assertThat(Files.size(log)).isLessThanOrEqualTo(RunRecorder.MAX_LOG_BYTES + 200);
        try (var all = Files.lines(log)) {
            List<String> tail = all.skip(lines - 12).toList();
            assertThat(tail.get(tail.size() - 1)).startsWith("[drover: this log passed");
        }
    }
}
