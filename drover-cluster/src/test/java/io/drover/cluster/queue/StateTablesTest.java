package io.drover.cluster.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/** The run record's and the queue record's state tables, a row per source state. */
class StateTablesTest {
    @Test
    void aSubmittedRunStartsOrFailsToLoad() {
        assertThat(RunState.SUBMITTED.next()).containsExactlyInAnyOrder(RunState.RUNNING, RunState.FAILED);
    }

    @Test
    void aRunningRunEndsOrIsTakenOverRunningAgain() {
        assertThat(RunState.RUNNING.next())
                .containsExactlyInAnyOrder(RunState.RUNNING, RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED);
    }

    @Test
    void anEndedRunMovesNowhereAndAWriteThatTriesIsABugNamingTheRun() {
        for (RunState s : EnumSet.of(RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED)) {
            assertThat(s.next()).isEmpty();
            assertThat(s.isEnded()).isTrue();
        }
        assertThatThrownBy(() -> RunState.SUCCEEDED.checkMoveTo(RunState.RUNNING, "r1"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("run 'r1' cannot move from SUCCEEDED to RUNNING");
        assertThat(RunRecords.ENDED).containsExactly("SUCCEEDED", "FAILED", "CANCELLED");
    }

    @Test
    void aPendingTaskIsClaimedOrCancelledBeforeAWorkerHasIt() {
        assertThat(QueueTaskState.PENDING.next())
                .containsExactlyInAnyOrder(QueueTaskState.RUNNING, QueueTaskState.CANCELLED);
    }

    @Test
    void aRunningTaskEndsWaitsToRetryOrIsHandedBack() {
        assertThat(QueueTaskState.RUNNING.next())
                .containsExactlyInAnyOrder(
                        QueueTaskState.SUCCEEDED,
                        QueueTaskState.FAILED,
                        QueueTaskState.CANCELLED,
                        QueueTaskState.SKIPPED,
                        QueueTaskState.RETRYING,
                        QueueTaskState.PENDING);
    }

    @Test
    void aRetryingTaskIsPromotedOrCancelled() {
        assertThat(QueueTaskState.RETRYING.next())
                .containsExactlyInAnyOrder(QueueTaskState.PENDING, QueueTaskState.CANCELLED);
    }

    @Test
    void aFinishedTaskMovesNowhereAndAnUnreadableStateIsUnknownNotFinished() {
        for (QueueTaskState s : EnumSet.of(
                QueueTaskState.SUCCEEDED, QueueTaskState.FAILED, QueueTaskState.CANCELLED, QueueTaskState.SKIPPED)) {
            assertThat(s.next()).isEmpty();
            assertThat(s.isFinished()).isTrue();
        }
        assertThat(QueueTaskState.parse("garbage")).isEqualTo(QueueTaskState.UNKNOWN);
        assertThat(QueueTaskState.parse(null).isFinished()).isFalse();
    }
}
