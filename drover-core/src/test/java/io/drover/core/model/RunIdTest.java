package io.drover.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RunIdTest {
    @Test
    void aNewIdSortsByTimeAndReadsBackAsItIsWritten() {
        RunId id = RunId.next();
        assertThat(id.toString()).matches("\\d{8}-\\d{6}-[0-9a-f]{4}");
        assertThat(RunId.parse(id.toString())).isEqualTo(id);
        assertThat(RunId.tryParse(id.toString())).contains(id);
    }

    @Test
    void anythingThatCouldNotNameADirectoryOrKeyIsNoRunId() {
        for (String bad : new String[] {null, "", "..", "a/b", "a..b", ".hidden", "-x", "a b", "x".repeat(129)}) {
            assertThat(RunId.tryParse(bad)).as(String.valueOf(bad)).isEmpty();
            assertThatThrownBy(() -> RunId.parse(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("not a run id: '" + bad + "'");
        }
        assertThat(RunId.parse("r_1.2-3").value()).isEqualTo("r_1.2-3");
        assertThat(RunId.tryParse("x".repeat(128))).isPresent();
    }
}
