package io.drover.core.process;

/** Receives one attempt's log lines (output of its commands, {@code log.*} and {@code print} calls). Thread-safe. */
@FunctionalInterface
public interface TaskLog {
    TaskLog DISCARD = line -> {};

    void line(String text);
}
