package io.drover.core.model;

import java.util.Objects;

/**
 * The Lua text a workflow came from and the name its errors use ({@code flow.lua}). Travels with a run to
 * wherever its Lua functions execute.
 */
public record WorkflowSource(String name, String text) {
  public WorkflowSource {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(text, "text");
  }

  /** For workflows built in Java, with no Lua behind them. */
  public static WorkflowSource none(String name) {
    return new WorkflowSource(name, "");
  }
}
