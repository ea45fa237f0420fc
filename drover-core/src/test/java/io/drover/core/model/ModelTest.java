package io.drover.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.drover.core.Suggestions;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ModelTest {
    @Test
    void parsesDurationsUsersWrite() {
        assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("90")).isEqualTo(Duration.ofSeconds(90));
        assertThatThrownBy(() -> Durations.parse("5 minutes")).hasMessageContaining("bad duration '5 minutes'");
        assertThatThrownBy(() -> Durations.parse("m5")).hasMessageContaining("bad duration 'm5'");
        assertThat(Durations.format(Duration.ofMinutes(10))).isEqualTo("10m");
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1.5s");
    }

    @Test
    void backoffGrowsByItsFactorUpToItsMax() {
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(5), 2, false);
        SplittableRandom r = new SplittableRandom(1);
        assertThat(List.of(b.delayBefore(2, r), b.delayBefore(3, r), b.delayBefore(4, r), b.delayBefore(5, r)))
                .containsExactly(
                        Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(5));
    }

    @Test
    void jitterStaysInTheUpperHalfOfTheDelay() {
        Backoff b = new Backoff(Duration.ofSeconds(4), Duration.ofSeconds(60), 2, true);
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 1000; i++) {
            assertThat(b.delayBefore(2, r)).isBetween(Duration.ofSeconds(2), Duration.ofSeconds(4));
        }
    }

    @Test
    void taskIdsParseAndPrintTheSameWay() {
        assertThat(TaskId.parse("build.compile")).isEqualTo(new TaskId("build", "compile"));
        assertThat(new TaskId("build", "compile").toString()).isEqualTo("build.compile");
        assertThatThrownBy(() -> TaskId.parse("a.b.c")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TaskId.parse("nodot")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void suggestsCloseNamesOnly() {
        assertThat(Suggestions.closest("depend_on", List.of("depends_on", "description")))
                .contains("depends_on");
        assertThat(Suggestions.closest("biuld", List.of("build", "deploy"))).contains("build");
        assertThat(Suggestions.closest("zzz", List.of("build", "deploy"))).isEmpty();
    }

    @Test
    void taskIdsOfGeneratedWorkflowsHashApartAndSpreadOverAMapsBins() {
        Set<Integer> hashes = new HashSet<>();
        Set<Integer> bins = new HashSet<>();
        for (int g = 1; g <= 100; g++) {
            for (int i = 1; i <= 100; i++) {
                TaskId id = new TaskId("g" + g, "leaf" + i);
                assertThat(id.hashCode()).isEqualTo(TaskId.parse(id.toString()).hashCode());
                hashes.add(id.hashCode());
                int h = id.hashCode();
                bins.add((h ^ (h >>> 16)) & (16_384 - 1)); // the bin of a HashMap of 10,000 entries
            }
        }
        assertThat(hashes).hasSize(10_000); // the record's own hash gave 2,969
        // random hashes fill about 7,490 of the 16,384 bins; the record's hash filled under 2,800
        assertThat(bins).hasSizeGreaterThan(7_000);
    }
}
