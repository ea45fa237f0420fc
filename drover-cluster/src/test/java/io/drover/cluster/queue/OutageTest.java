package io.drover.cluster.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisLoadingException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisReadOnlyException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** How loops that call Redis say that it went away and came back, and how long they wait between tries. */
class OutageTest {
    private final List<String> said = new ArrayList<>();
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final Outage outage = new Outage("claiming tasks", said::add, now::get);

    private static RuntimeException connectionLost() {
        return new RedisConnectionException("Connection closed prematurely");
    }

    @Test
    void redisGoingAwayIsSaidOnceAndComingBackOnceWithHowLongItLasted() {
        List<Long> waits = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            waits.add(outage.failed(connectionLost()));
            now.addAndGet(waits.get(i));
        }
        assertThat(waits).containsExactly(100L, 200L, 400L, 800L, 1600L, 3200L, 5000L, 5000L, 5000L, 5000L);
        outage.succeeded();
        outage.succeeded();
        assertThat(said)
                .containsExactly(
                        "claiming tasks: Redis call failed: Connection closed prematurely; trying again with backoff (up to 5 s)",
                        "claiming tasks: Redis answers again (calls failed for 26.3s)");
        assertThat(outage.ongoing()).isFalse();
    }

    @Test
    void aFailureThatWaitingWillNotCureIsSaidEveryTime() {
        RuntimeException refused =
                new RedisCommandExecutionException("NOPERM this user has no permissions to run the 'evalsha' command");
        outage.failed(refused);
        outage.failed(refused);
        assertThat(said).hasSize(2);
        assertThat(StoreException.of(refused).kind()).isEqualTo(StoreException.Kind.REFUSED);
        assertThat(StoreException.of(refused).isRetryable()).isFalse();
    }

    @Test
    void redisRepliesMapToKindsThatSayWhetherToTryAgain() {
        assertThat(StoreException.of(new RedisLoadingException("LOADING Redis is loading the dataset in memory"))
                        .kind())
                .isEqualTo(StoreException.Kind.LOADING);
        assertThat(StoreException.of(
                                new RedisReadOnlyException("READONLY You can't write against a read only replica."))
                        .isRetryable())
                .isTrue();
        assertThat(StoreException.of(new RedisBusyException("BUSYGROUP Consumer Group name already exists"))
                        .kind())
                .isEqualTo(StoreException.Kind.GROUP_EXISTS);
        assertThat(StoreException.of(new RedisBusyException("BUSY Redis is busy running a script."))
                        .kind())
                .isEqualTo(StoreException.Kind.BUSY);
        assertThat(StoreException.of(new RedisCommandExecutionException("NOGROUP No such key"))
                        .kind())
                .isEqualTo(StoreException.Kind.NO_GROUP);
        assertThat(StoreException.of(new RedisNoScriptException("NOSCRIPT No matching script."))
                        .kind())
                .isEqualTo(StoreException.Kind.NO_SCRIPT);
        assertThat(StoreException.of(new RedisCommandExecutionException("ERR unknown command 'XAUTOCLAIM'"))
                        .isRetryable())
                .isFalse();
        assertThat(StoreException.of(new RedisCommandTimeoutException("Command timed out after 1 minute(s)"))
                        .isRetryable())
                .isTrue();
    }
}
