package io.drover.core;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * A state machine's table: which state may move to which. Built once in an enum's static initializer with
 * {@link #allow}, read with {@link #allows} and {@link #next}. Used by the engine's task states and by the fleet's
 * run and queue record states. Immutable once built; read from any thread.
 */
public final class Transitions<E extends Enum<E>> {
    private final Class<E> type;
    private final Map<E, EnumSet<E>> next;

    private Transitions(Class<E> type) {
        this.type = type;
        this.next = new EnumMap<>(type);
    }

    public static <E extends Enum<E>> Transitions<E> of(Class<E> type) {
        return new Transitions<>(type);
    }

    /** {@code from} may move to each of {@code to}. */
    @SafeVarargs
    public final Transitions<E> allow(E from, E... to) {
        Set<E> targets = next.computeIfAbsent(from, k -> EnumSet.noneOf(type));
        for (E t : to) targets.add(t);
        return this;
    }

    public boolean allows(E from, E to) {
        EnumSet<E> s = next.get(from);
        return s != null && s.contains(to);
    }

    /** The states {@code from} may move to; empty for a state that ends the machine. */
    public Set<E> next(E from) {
        EnumSet<E> s = next.get(from);
        return s == null ? EnumSet.noneOf(type) : EnumSet.copyOf(s);
    }
}
