package io.drover.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.drover.cluster.controller.Controller;
import io.drover.cluster.controller.ControllerOptions;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.Keys;
import io.drover.cluster.queue.RunRecords;
import io.drover.core.DroverException;
import io.lettuce.core.SetArgs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The leader lease names a process: restarts and twins with one id, against a real redis-server. */
class ControllerLeaseTest {
    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    private Client client;
    private final List<Controller> started = new ArrayList<>();

    @BeforeEach
    void connect() {
        client = Client.connect(redis.url());
        redis.commands().flushall();
    }

    @AfterEach
    void stop() {
        started.forEach(Controller::close);
        client.close();
    }

    private Controller start(String id) {
        Controller c = Controller.start(ControllerOptions.builder(redis.url())
                .controllerId(id)
                .port(0)
                .lease(Duration.ofSeconds(2))
                .build());
        started.add(c);
        return c;
    }

    @Test
    void aControllerRestartedWithTheSameIdNeverInheritsTheDeadProcesssLeaseOrEpoch() {
        // what a controller killed with kill -9 leaves: its lease, still running for its last two seconds
        redis.commands().set(Keys.EPOCH, "7");
        redis.commands().set(Keys.LEASE, "ctl-a 7 deadprocess", SetArgs.Builder.px(2000));
        Controller restarted = start("ctl-a");
        await().atMost(Duration.ofSeconds(10)).until(restarted::isLeader);
        assertThat(restarted.epoch()).isEqualTo(8);
        assertThat(RunRecords.Lease.parse(redis.commands().get(Keys.LEASE))
                        .orElseThrow()
                        .instance())
                .isNotEqualTo("deadprocess");
    }

    @Test
    void aSecondLiveControllerWithTheSameIdIsRefusedAtStartNamingTheId() {
        Controller first = start("ctl-b");
        await().atMost(Duration.ofSeconds(10)).until(first::isLeader);
        assertThatThrownBy(() -> start("ctl-b"))
                .isInstanceOf(DroverException.class)
                .hasMessageStartingWith("a controller with id 'ctl-b' is running");
        assertThat(first.isLeader()).isTrue();
        assertThat(first.epoch()).isEqualTo(1);
    }
}
