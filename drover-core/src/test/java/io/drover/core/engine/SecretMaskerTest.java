package io.drover.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.core.model.TaskId;
import io.drover.core.record.RunJson;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretMaskerTest {
    @Test
    void recordsMaskOutputsUnderSecretKeysAtAnyDepthAndSecretValuesInsideStrings() {
        TaskResult t = new TaskResult(
                TaskId.parse("g.t"),
                TaskState.SUCCEEDED,
                1,
                5,
                "ok",
                Map.of(
                        "api_token", "tok-123",
                        "nested",
                                Map.of(
                                        "password",
                                        "hunter22",
                                        "list",
                                        List.of("uses s3cr3t-value here", Map.of("auth", "x"))),
                        "plain", "visible"));
        RunResult r = new RunResult("r1", RunStatus.SUCCEEDED, Instant.EPOCH, Instant.EPOCH, List.of(t));
        String json = RunJson.write(RunJson.toMap(r, "flow.lua", Map.of("db_secret", "s3cr3t-value")), false);
        assertThat(json)
                .doesNotContain("tok-123")
                .doesNotContain("hunter22")
                .doesNotContain("s3cr3t-value")
                .contains("\"api_token\":\"***\"")
                .contains("\"password\":\"***\"")
                .contains("uses *** here")
                .contains("\"auth\":\"***\"")
                .contains("\"plain\":\"visible\"");
    }
}
