package io.drover.cluster.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A task's attempts in words, for each way a task can stand. */
class TaskStatusTest {
    private static TaskStatus of(String state, int attempt, int failures, int max, boolean dead) {
        return new TaskStatus(
                "default.t1",
                "default",
                "shell",
                "true",
                state,
                attempt,
                failures,
                max,
                dead,
                "w1",
                "",
                Map.of(),
                List.of(),
                1_000_000,
                2_000_000,
                3_500_000,
                "");
    }

    @Test
    void theAttemptsAreSaidInWordsAPersonReadsOnce() {
        assertThat(of("PENDING", 0, 0, 4, false).attempts()).isEqualTo("not started; up to 4 attempts");
        assertThat(of("RUNNING", 3, 2, 4, false).attempts()).isEqualTo("attempt 3 of 4 (2 failed)");
        assertThat(of("RUNNING", 5, 0, 1, false).attempts()).isEqualTo("delivery 5, 1 attempt allowed");
        assertThat(of("RETRYING", 3, 3, 4, false).attempts()).isEqualTo("3 of 4 attempts failed; retrying");
        assertThat(of("SUCCEEDED", 1, 0, 1, false).attempts()).isEqualTo("succeeded on the first attempt");
        assertThat(of("SUCCEEDED", 2, 1, 3, false).attempts()).isEqualTo("succeeded after 1 failed attempt");
        assertThat(of("FAILED", 3, 3, 3, true).attempts()).isEqualTo("all 3 attempts failed");
        assertThat(of("FAILED", 5, 0, 1, true).attempts())
                .isEqualTo("dead-lettered after 5 deliveries without an outcome");
        assertThat(of("CANCELLED", 0, 0, 1, false).attempts()).isEqualTo("cancelled before it ran");
        assertThat(of("SKIPPED", 1, 0, 1, false).attempts()).isEqualTo("skipped by its run_if");
    }

    @Test
    void theRecordShowsItsTimesAndHowLongItRan() {
        Map<String, Object> m = of("SUCCEEDED", 1, 0, 1, false).toMap();
        assertThat(m.get("submitted_at")).isEqualTo("1970-01-01T00:00:01Z");
        assertThat(m.get("started_at")).isEqualTo("1970-01-01T00:00:02Z");
        assertThat(m.get("duration_ms")).isEqualTo(1500L);
        assertThat(of("RUNNING", 1, 0, 1, false).toMap()).containsEntry("worker", "w1");
    }
}
