package io.drover.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** deploy/compose.yaml is valid for docker-compose (checked without an engine) and holds the fleet it says. */
class ComposeTest {
    private static final Map<String, String> ENV = Map.of("DROVER_TOKEN", "t", "DROVER_AGENT_TOKEN", "a");

    private static Repo.Result compose(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("docker-compose", "-f", "deploy/compose.yaml"));
        cmd.addAll(List.of(args));
        return Repo.run(Repo.root(), env, 60, cmd);
    }

    @Test
    void theComposeFileIsValidAndHoldsRedisTwoControllersScalableWorkersAnAgentAndTemporalOnRequest() throws Exception {
        Repo.Result quiet = compose(ENV, "config", "-q");
        assertThat(quiet.exit()).as(quiet.out()).isZero();
        assertThat(compose(ENV, "config", "--services").out().lines().toList())
                .containsExactlyInAnyOrder("redis", "controller-a", "controller-b", "worker", "agent", "temporal");
        String config = compose(ENV, "config").out();
        // Temporal only on request: docker compose --profile temporal up
        assertThat(config).containsPattern("(?s)\\n  temporal:\\n.*profiles:\\n\\s*- temporal");
        assertThat(config).contains("--appendonly", "--maxmemory-policy", "noeviction");
        assertThat(config).doesNotContain("container_name"); // workers scale with --scale worker=N
    }

    @Test
    void withoutItsTokensTheComposeFileRefusesToStart() throws Exception {
        Repo.Result r = compose(Map.of("DROVER_AGENT_TOKEN", "a"), "config", "-q");
        assertThat(r.exit()).isNotZero();
        assertThat(r.out()).contains("set DROVER_TOKEN");
    }
}
