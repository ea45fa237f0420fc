package io.drover.cluster.queue;

import java.util.EnumSet;
import java.util.Set;

/**
 * The states of a run on the fleet, as its record ({@code drover:{runs}:run:ID}, field {@code state}) shows them,
 * and the transitions a controller may write:
 *
 * <pre>
 * SUBMITTED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED
 *     |          ^  |
 *     |          +--+  (a leader that takes a running run over writes RUNNING again)
 *     +-> FAILED       (its file no longer loads)
 * </pre>
 *
 * A write of any other transition is a bug and throws {@link IllegalStateException} naming the run and both
 * states ({@link #checkMoveTo}).
 */
public enum RunState {
  SUBMITTED,
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED;

  private static final boolean[][] ALLOWED = new boolean[values().length][values().length];

  static {
    allow(SUBMITTED, RUNNING, FAILED);
    allow(RUNNING, RUNNING, SUCCEEDED, FAILED, CANCELLED);
  }

  private static void allow(RunState from, RunState... to) {
    for (RunState t : to) ALLOWED[from.ordinal()][t.ordinal()] = true;
  }

  public boolean canMoveTo(RunState to) {
    return ALLOWED[ordinal()][to.ordinal()];
  }

  /** The states this one may move to; empty for an ended run. */
  public Set<RunState> next() {
    EnumSet<RunState> out = EnumSet.noneOf(RunState.class);
    for (RunState t : values()) if (canMoveTo(t)) out.add(t);
    return out;
  }

  public boolean isEnded() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED;
  }

  /** Returns {@code to}, or throws when this state may not move there: a bug, never user error. */
  public RunState checkMoveTo(RunState to, String runId) {
    if (!canMoveTo(to)) throw new IllegalStateException("run '" + runId + "' cannot move from " + this + " to " + to);
    return to;
  }

  /** The state a record's field names; null for none or an unknown one. */
  public static RunState parse(String s) {
    if (s == null) return null;
    try {
      return valueOf(s);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
