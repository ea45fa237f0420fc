package io.drover.core.state;

/**
 * A value with its version.
 *
 * @param json the value as JSON text
 * @param version changes on every write of the key and never repeats in a store
 */
public record Versioned(String json, long version) {}
