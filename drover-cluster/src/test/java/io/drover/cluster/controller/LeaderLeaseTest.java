package io.drover.cluster.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.cluster.RedisExtension;
import io.drover.cluster.queue.Keys;
import io.drover.cluster.queue.RedisLink;
import io.drover.cluster.queue.RunRecords;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The leader lease's rules on a fake clock (the controller's own), against a real redis-server: each tick is one
 * round of the lease loop, so no test sleeps.
 */
class LeaderLeaseTest {
    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    private static final Duration LEASE = Duration.ofSeconds(2);
    private RedisLink link;
    private RedisClusterCommands<String, String> r;
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final List<String> heard = new ArrayList<>();

    @BeforeEach
    void connect() {
        link = RedisLink.connect(redis.url());
        r = link.sync();
        r.flushall();
    }

    @AfterEach
    void close() {
        link.close();
    }

    private LeaderLease lease(String id, String instance) {
        return new LeaderLease(new RunRecords(r), id, instance, LEASE, now::get, new LeaderLease.Listener() {
            @Override
            public void leading(long epoch) {
                heard.add(id + " leads " + epoch);
            }

            @Override
            public void steppedDown(long epoch, String why) {
                heard.add(id + " steps down from " + epoch + ": " + why);
            }
        });
    }

    @Test
    void aStandbyTakesAFreeLeaseWithANewEpochAndAnotherWaits() {
        LeaderLease a = lease("a", "i1");
        LeaderLease b = lease("b", "i2");
        a.tick();
        b.tick();
        assertThat(a.isLeader()).isTrue();
        assertThat(a.epoch()).isEqualTo(1);
        assertThat(b.isLeader()).isFalse();
        assertThat(r.get(Keys.LEASE)).isEqualTo("a 1 i1");
        assertThat(heard).containsExactly("a leads 1");
    }

    @Test
    void aLeaderWhoseOwnClockPassedTheLeaseIsNoLongerLeaderAndStepsDownAtItsNextRound() {
        LeaderLease a = lease("a", "i1");
        a.tick();
        now.addAndGet(LEASE.toNanos()); // paused for a whole lease: Redis may have given the lease to another already
        assertThat(a.isLeader()).isFalse(); // at once, before any round
        a.tick();
        assertThat(heard)
                .containsExactly(
                        "a leads 1",
                        "a steps down from 1: the lease ran out before it was renewed (was this process paused?)",
                        "a leads 1"); // the lease was still its own in Redis: it leads again, with the same epoch
    }

    @Test
    void aLeaderRenewsWithinItsLeaseAndKeepsItsEpoch() {
        LeaderLease a = lease("a", "i1");
        a.tick();
        for (int i = 0; i < 20; i++) { // forty seconds of renewals every half second, on its clock
            now.addAndGet(Duration.ofMillis(500).toNanos());
            a.tick();
            assertThat(a.isLeader()).isTrue();
        }
        assertThat(a.epoch()).isEqualTo(1);
        assertThat(heard).containsExactly("a leads 1");
    }

    @Test
    void aLeaderWhoseLeaseAnotherTookStepsDownAndTheNewLeaderHasALargerEpoch() {
        LeaderLease a = lease("a", "i1");
        LeaderLease b = lease("b", "i2");
        a.tick();
        r.del(Keys.LEASE); // the lease lapsed in Redis while a was cut off
        b.tick();
        now.addAndGet(Duration.ofMillis(500).toNanos());
        a.tick();
        assertThat(b.epoch()).isEqualTo(2);
        assertThat(a.isLeader()).isFalse();
        assertThat(heard)
                .containsExactly(
                        "a leads 1", "b leads 2", "a steps down from 1: another controller holds the lease now");
    }

    @Test
    void aControllerRestartedWithTheSameIdIsAnotherInstanceAndNeverInheritsTheLease() {
        LeaderLease before = lease("a", "i1");
        before.tick();
        LeaderLease after = lease("a", "i2"); // the same --id, a new process
        after.tick();
        assertThat(after.isLeader()).isFalse();
        r.del(Keys.LEASE); // the old one's lease ran out
        after.tick();
        assertThat(after.epoch()).isEqualTo(2);
    }

    @Test
    void givingTheLeaseUpLetsAStandbyTakeItAtOnce() {
        LeaderLease a = lease("a", "i1");
        LeaderLease b = lease("b", "i2");
        a.tick();
        assertThat(a.release()).isEqualTo(1);
        b.tick();
        assertThat(b.epoch()).isEqualTo(2);
        assertThat(a.release()).isZero(); // idempotent
    }
}
