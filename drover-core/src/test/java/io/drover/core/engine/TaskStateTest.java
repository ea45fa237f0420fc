package io.drover.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TaskStateTest {
    @Test
    void pendingMayBecomeReadyOrEndWithoutRunning() {
        assertThat(TaskState.PENDING.next())
                .containsExactlyInAnyOrder(TaskState.READY, TaskState.CANCELLED, TaskState.SKIPPED);
    }

    @Test
    void readyMayStartOrEndWithoutRunning() {
        assertThat(TaskState.READY.next())
                .containsExactlyInAnyOrder(TaskState.RUNNING, TaskState.CANCELLED, TaskState.SKIPPED);
    }

    @Test
    void runningEndsOrWaitsToRetry() {
        assertThat(TaskState.RUNNING.next())
                .containsExactlyInAnyOrder(
                        TaskState.SUCCEEDED,
                        TaskState.FAILED,
                        TaskState.CANCELLED,
                        TaskState.SKIPPED,
                        TaskState.RETRYING);
    }

    @Test
    void retryingGoesBackToReadyOrEnds() {
        assertThat(TaskState.RETRYING.next())
                .containsExactlyInAnyOrder(TaskState.READY, TaskState.CANCELLED, TaskState.SKIPPED);
    }

    @ParameterizedTest
    @EnumSource(
            value = TaskState.class,
            names = {"SUCCEEDED", "FAILED", "CANCELLED", "SKIPPED"})
    void terminalStatesGoNowhere(TaskState s) {
        assertThat(s.isTerminal()).isTrue();
        assertThat(s.next()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(TaskState.class)
    void illegalTransitionsThrowNamingTaskAndStates(TaskState from) {
        for (TaskState to : EnumSet.complementOf(
                EnumSet.copyOf(from.next().isEmpty() ? EnumSet.noneOf(TaskState.class) : from.next()))) {
            assertThatThrownBy(() -> from.checkMoveTo(to, "g.t"))
                    .isInstanceOf(IllegalTransitionException.class)
                    .hasMessage("task 'g.t' cannot move from " + from + " to " + to);
        }
    }

    @Test
    void nothingGoesBackToPendingOrSkipsRunningOnTheWayToSucceeded() {
        for (TaskState s : TaskState.values()) {
            assertThat(s.canMoveTo(TaskState.PENDING)).isFalse();
            if (s != TaskState.RUNNING)
                assertThat(s.canMoveTo(TaskState.SUCCEEDED)).isFalse();
        }
    }
}
