package io.drover.cluster.queue;

import io.drover.cluster.RedisExtension;
import io.drover.core.MutableClock;
import io.drover.core.state.StateStore;
import io.drover.core.state.StateStoreContract;
import io.drover.core.state.StateStores;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The state store contract on a redis-server of this test's own. */
class RedisStateStoreTest extends StateStoreContract {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    @Override
    protected StateStore open(MutableClock clock) {
        return StateStores.open(REDIS.url(), Path.of("."), clock); // through the provider, as the CLI opens it
    }

    @Override
    protected String url() {
        return REDIS.url();
    }

    @Override
    protected boolean clockDecidesExpiry() {
        return false;
    }

    @Override
    protected void forceSchema(long version) {
        REDIS.commands().set(Keys.STATE_SCHEMA, Long.toString(version));
    }
}
