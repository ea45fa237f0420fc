package io.drover.core;

/** URLs as they may be shown: passwords replaced by {@code ***}. */
public final class Urls {
    private Urls() {}

    /**
     * {@code scheme://user:secret@host} as {@code scheme://user:***@host}, a Redis URL's lone credential
     * ({@code redis://secret@host}, a password) as {@code ***}, and a {@code password=} query parameter masked; other
     * text unchanged.
     */
    public static String masked(String url) {
        if (url == null) return "";
        return url.replaceAll("([a-z][a-z0-9+.-]*://[^:/@]*:)[^@/]*@", "$1***@")
                .replaceAll("(rediss?(?:-sentinel|-cluster)?://)([^:/@]+)@", "$1***@")
                .replaceAll("([?&]password=)[^&]*", "$1***");
    }
}
