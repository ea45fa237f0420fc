package io.drover.cluster.queue;

/** Redis URLs as they may be shown: the password replaced by {@code ***}. */
public final class RedisUrls {
  private RedisUrls() {}

  public static String masked(String url) {
    return url == null ? "" : url.replaceAll("(rediss?(?:-sentinel|-cluster)?://[^:/@]*:)[^@]*@", "$1***@")
        .replaceAll("(rediss?(?:-sentinel|-cluster)?://)([^:/@]+)@", "$1***@");
  }
}
