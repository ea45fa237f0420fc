package io.drover.cluster.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.drover.cluster.worker.AttemptInput;
import org.junit.jupiter.api.Test;

/** Worker ids and fencing tokens: parsed once where they come in, written back as they were read. */
class FleetIdsTest {
    @Test
    void aWorkerIdReadsBackAsItWasWrittenAndRefusesWhatCouldNameAnotherKey() {
        WorkerId id = WorkerId.parse("host-1:4242:ab");
        assertThat(id.toString()).isEqualTo("host-1:4242:ab");
        assertThat(WorkerId.parse(id.toString())).isEqualTo(id);
        assertThat(Keys.worker(id)).isEqualTo("drover:worker:host-1:4242:ab");
        Keys keys = new Keys("default");
        assertThat(keys.workerOf(keys.workerStream(id))).isEqualTo(id);
        assertThat(keys.workerOf(keys.stream())).isNull();
        for (String bad : new String[] {"", ".w", "a/b", "a b", "{q}", "w".repeat(129)}) {
            assertThat(WorkerId.tryParse(bad)).as(bad).isEmpty();
            assertThatThrownBy(() -> WorkerId.parse(bad)).hasMessage("bad worker id '" + bad + "'");
        }
        assertThat(WorkerId.tryParse(null)).isEmpty();
    }

    @Test
    void aFencingTokenIsADeliveryCountOfAtLeastOne() {
        assertThat(FencingToken.parse("3")).isEqualTo(FencingToken.of(3));
        assertThat(FencingToken.of(3).toString()).isEqualTo("3");
        assertThat(FencingToken.of(3)).isGreaterThan(FencingToken.of(2));
        assertThat(FencingToken.of(5).atLeast(5)).isTrue();
        assertThat(FencingToken.of(4).atLeast(5)).isFalse();
        assertThatThrownBy(() -> FencingToken.of(0)).hasMessage("not a fencing token: 0");
        assertThatThrownBy(() -> FencingToken.parse("x")).hasMessage("not a fencing token: 'x'");
    }

    @Test
    void anAttemptTravelsWithItsIdsAsTheStringsAndNumbersTheyAreWrittenAs() throws Exception {
        AttemptInput input = new AttemptInput(
                QueueTaskId.parse("default.t1"),
                "drover:{default}:stream:v0.2",
                "1-0",
                WorkerId.parse("wa"),
                FencingToken.of(2),
                3,
                1,
                "",
                0);
        ObjectMapper json = new ObjectMapper();
        String written = json.writeValueAsString(input);
        assertThat(json.readTree(written).get("taskId").asText()).isEqualTo("default.t1");
        assertThat(json.readTree(written).get("holder").asText()).isEqualTo("wa");
        assertThat(json.readTree(written).get("token").asLong()).isEqualTo(2);
        assertThat(json.readValue(written, AttemptInput.class)).isEqualTo(input);
        // read back, ids are checked again: a holder that is no worker id is refused
        assertThatThrownBy(() -> json.readValue(written.replace("\"wa\"", "\"../x\""), AttemptInput.class))
                .hasStackTraceContaining("bad worker id '../x'");
    }
}
