package io.drover.agent.sync;

import java.util.Locale;

/** Byte sizes as people write them: {@code 512}, {@code 64k}, {@code 200m}, {@code 2g} (powers of 1024). */
public final class Sizes {
    private Sizes() {}

    public static long parse(String text) {
        String s = text.strip().toLowerCase(Locale.ROOT);
        if (s.endsWith("b") || s.endsWith("ib")) s = s.substring(0, s.length() - (s.endsWith("ib") ? 2 : 1));
        long unit = 1;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'k' -> unit = 1L << 10;
                case 'm' -> unit = 1L << 20;
                case 'g' -> unit = 1L << 30;
                case 't' -> unit = 1L << 40;
                default -> unit = 1;
            }
            if (unit > 1) s = s.substring(0, s.length() - 1);
        }
        try {
            long n = Long.parseLong(s.strip());
            if (n < 0) throw new NumberFormatException();
            return Math.multiplyExact(n, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("bad size '" + text + "': write a number with k, m or g, like 200m");
        }
    }

    public static String format(long bytes) {
        if (bytes < 1024) return bytes + " B";
        if (bytes < 1L << 20) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        if (bytes < 1L << 30) return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }
}
