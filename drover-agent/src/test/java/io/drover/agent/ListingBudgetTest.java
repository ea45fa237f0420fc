package io.drover.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.drover.agent.sync.ListingBudget;
import io.drover.agent.sync.TransferRejected;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ListingBudgetTest {
    @Test
    void concurrentListingsWaitForMemoryAnotherGivesBackAndOneLargerThanAllIsRefused() throws Exception {
        ListingBudget budget = new ListingBudget(4096);
        ListingBudget.Hold first = budget.hold();
        first.take(1000); // 3 KiB of 4
        boolean[] took = new boolean[1];
        Thread second = Thread.ofPlatform().start(() -> {
            try (ListingBudget.Hold h = budget.hold()) {
                h.take(1000);
                took[0] = true;
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> second.getState() == Thread.State.TIMED_WAITING);
        assertThat(took[0]).isFalse();
        first.close();
        second.join(10_000);
        assertThat(took[0]).isTrue();
        try (ListingBudget.Hold h = budget.hold()) {
            assertThatThrownBy(() -> h.take(2000))
                    .isInstanceOf(TransferRejected.class)
                    .hasMessageStartingWith("the listing needs more than the agent's");
        }
    }
}
