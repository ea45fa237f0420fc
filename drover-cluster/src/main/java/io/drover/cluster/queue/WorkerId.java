package io.drover.cluster.queue;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.drover.core.model.Names;
import java.util.Optional;

/**
 * The id of a worker on the fleet: 1 to 128 letters, digits, '_', '.', '-' and ':', not starting with '.'
 * ({@link Names#isWorkerId}). It names the worker's record, its own stream and its consumer in every group, and
 * the holder of each attempt it runs. {@link #toString} is the id as written; {@link #parse} reads it back.
 */
public record WorkerId(String value) {
    public WorkerId {
        if (!Names.isWorkerId(value)) throw new IllegalArgumentException("bad worker id '" + value + "'");
    }

    /** Reads an id; anything else is an {@link IllegalArgumentException} that names it. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static WorkerId parse(String id) {
        return new WorkerId(id);
    }

    /** An id, or empty when {@code id} is none. */
    public static Optional<WorkerId> tryParse(String id) {
        return Names.isWorkerId(id) ? Optional.of(new WorkerId(id)) : Optional.empty();
    }

    @Override
    @JsonValue
    public String toString() {
        return value;
    }
}
