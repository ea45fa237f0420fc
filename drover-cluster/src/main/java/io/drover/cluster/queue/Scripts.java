package io.drover.cluster.queue;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The queue's Lua scripts, run by SHA and loaded again when Redis lost them (a restart). Thread-safe. */
public final class Scripts {
  /** One script: its text and SHA. */
  public record Script(String name, String text, String sha) {}

  public static final Script SUBMIT = load("submit");
  public static final Script CLAIM = load("claim");
  public static final Script COMPLETE = load("complete");
  public static final Script RENEW = load("renew");
  public static final Script PROMOTE = load("promote");
  public static final Script CANCEL = load("cancel");
  public static final Script HANDBACK = load("handback");
  public static final Script RESCUE = load("rescue");
  public static final Script RELEASE = load("release");
  public static final Script TRIM = load("trim");
  public static final Script FOLLOW = load("follow");

  private Scripts() {}

  private static Script load(String name) {
    return load(Scripts.class, name);
  }

  /** A script kept as {@code name.lua} next to {@code anchor} on the class path. */
  public static Script load(Class<?> anchor, String name) {
    try (InputStream in = anchor.getResourceAsStream(name + ".lua")) {
      if (in == null) throw new IllegalStateException("missing script " + name + ".lua");
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return new Script(name, text, sha1(text));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String sha1(String text) {
    try {
      byte[] d = java.security.MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
      StringBuilder sb = new StringBuilder();
      for (byte b : d) sb.append(String.format("%02x", b));
      return sb.toString();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs a script; if Redis does not know it (after a restart), loads it and runs it again. */
  public static <T> T run(RedisClusterCommands<String, String> redis, Script s, ScriptOutputType type, String[] keys, String... args) {
    try {
      return redis.evalsha(s.sha(), type, keys, args);
    } catch (RedisNoScriptException e) {
      redis.scriptLoad(s.text()); // on a cluster, this goes to the node that just answered: the key's node
      return redis.evalsha(s.sha(), type, keys, args);
    }
  }
}
