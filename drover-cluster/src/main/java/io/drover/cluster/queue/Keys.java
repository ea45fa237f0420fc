package io.drover.cluster.queue;

/** The key names of one queue. Immutable. */
public record Keys(String queue) {
  public static final String GROUP = "workers";

  public Keys {
    if (queue == null || !queue.matches("[A-Za-z0-9_.-]{1,64}")) {
      throw new IllegalArgumentException("bad queue name '" + queue + "': use letters, digits, '_', '.' and '-'");
    }
  }

  private String prefix() {
    return "drover:{" + queue + "}:";
  }

  /**
   * The queue's stream, one per major.minor release: workers of another release never receive a task whose spec
   * they may not read, and their records show them as incompatible.
   */
  public String stream() {
    return prefix() + "stream:v" + io.drover.core.Version.majorMinor();
  }

  public String taskPrefix() {
    return prefix() + "task:";
  }

  public String task(String id) {
    return taskPrefix() + id;
  }

  /** A task's capped event stream: its state changes and log lines. */
  public String events(String id) {
    return prefix() + "events:" + id;
  }

  public String delayed() {
    return prefix() + "delayed";
  }

  public String dead() {
    return prefix() + "dead";
  }

  public String index() {
    return prefix() + "tasks";
  }

  public String idempotency(String key) {
    return prefix() + "idem:" + key;
  }

  /** The queue a task id belongs to: ids are {@code <queue>.<unique>}. Null for anything else. */
  public static String queueOf(String taskId) {
    int dot = taskId == null ? -1 : taskId.lastIndexOf('.');
    if (dot <= 0 || dot == taskId.length() - 1) return null;
    String queue = taskId.substring(0, dot);
    return queue.matches("[A-Za-z0-9_.-]{1,64}") ? queue : null;
  }
}
