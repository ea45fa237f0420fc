package io.drover.cluster.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.core.model.Backoff;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The task record's encoding and the names the queue accepts; no Redis needed. */
class TaskCodecTest {
    @Test
    void defaultsAreLeftOutOfTheRecordAndReadBackAsDefaults() {
        Map<String, String> f = TaskCodec.fields("default.t1", TaskSubmission.lua("return true"));
        assertThat(f).containsOnlyKeys("id", "spec");
        assertThat(f.get("spec")).isEqualTo("{\"kind\":\"lua\",\"command\":\"return true\"}");
        Map<String, Object> spec = TaskCodec.spec(f);
        assertThat(TaskCodec.backoff(spec)).isEqualTo(Backoff.DEFAULT);
        assertThat(TaskCodec.status(f).maxAttempts()).isEqualTo(1);
    }

    @Test
    void whatDiffersFromTheDefaultsRoundTrips() {
        Backoff b = new Backoff(Duration.ofMillis(50), Duration.ofSeconds(2), 3, false);
        Map<String, String> f = TaskCodec.fields(
                "default.t2",
                TaskSubmission.shell("make").withRetries(2).withBackoff(b).withTimeout(Duration.ofSeconds(9)));
        assertThat(f.get("max_attempts")).isEqualTo("3");
        Map<String, Object> spec = TaskCodec.spec(f);
        assertThat(TaskCodec.backoff(spec)).isEqualTo(b);
        assertThat(spec.get("timeout_ms")).isEqualTo(9000L);
        assertThat(TaskCodec.backoff(Map.of("backoff_initial_ms", "not a number")))
                .isEqualTo(Backoff.DEFAULT);
    }

    @Test
    void namesAreLettersDigitsAndAFewMarksOfBoundedLength() {
        assertThat(Keys.isName("build_2.x-y")).isTrue();
        assertThat(Keys.isName("a".repeat(64))).isTrue();
        assertThat(Keys.isName("a".repeat(65))).isFalse();
        assertThat(Keys.isName("")).isFalse();
        assertThat(Keys.isName(null)).isFalse();
        assertThat(Keys.isName("a:b")).isFalse();
        assertThat(Keys.isName("a b")).isFalse();
        assertThat(Keys.isName("café")).isFalse();
        assertThat(Keys.isName("{q}")).isFalse();
        assertThat(WorkerId.tryParse("host-1:4242:ab")).isPresent();
        assertThat(WorkerId.tryParse("w".repeat(129))).isEmpty();
        assertThat(WorkerId.tryParse("a/b")).isEmpty();
        assertThat(QueueTaskId.parse("nightly.tabc").queue()).isEqualTo("nightly");
        assertThat(QueueTaskId.tryParse("bad queue.tabc")).isEmpty();
    }
}
