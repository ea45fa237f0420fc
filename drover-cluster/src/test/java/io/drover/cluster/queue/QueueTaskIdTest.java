package io.drover.cluster.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class QueueTaskIdTest {
    @Test
    void anIdReadsBackAsItWasWrittenWithItsQueue() {
        QueueTaskId id = QueueTaskId.parse("nightly.builds.tabc-1_2");
        assertThat(id.queue()).isEqualTo("nightly.builds");
        assertThat(id.unique()).isEqualTo("tabc-1_2");
        assertThat(id.toString()).isEqualTo("nightly.builds.tabc-1_2");
        assertThat(QueueTaskId.parse(id.toString())).isEqualTo(id);
        assertThat(TaskCodec.entryTask(
                        Map.of("v", TaskCodec.ENTRY_VERSION, "id", "default.t1", "spec", "{}"), "default"))
                .contains(QueueTaskId.parse("default.t1"));
        assertThat(TaskCodec.entryTask(Map.of("v", TaskCodec.ENTRY_VERSION, "id", "default.t1", "spec", "{}"), "other"))
                .isEmpty();
    }

    @Test
    void whatCouldNameAFileOutsideItsDirectoryOrAnotherKeyIsNoTaskId() {
        for (String bad : new String[] {
            "",
            "nodot",
            ".t1",
            "default.",
            "default.t/1",
            "default.t..",
            "../x.t1",
            "bad queue.t1",
            "default." + "t".repeat(200)
        }) {
            assertThat(QueueTaskId.tryParse(bad)).as(bad).isEmpty();
        }
        assertThatThrownBy(() -> QueueTaskId.parse("default.t/1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a task id: 'default.t/1'");
        assertThatThrownBy(() -> new QueueTaskId("default", "../x")).isInstanceOf(IllegalArgumentException.class);
    }
}
