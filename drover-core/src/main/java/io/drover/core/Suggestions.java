package io.drover.core;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/** "Did you mean" for misspelt names: the closest candidate within a small edit distance. */
public final class Suggestions {
    private Suggestions() {}

    /** The closest candidate to {@code word}, if one is close enough to be a likely typo. */
    public static Optional<String> closest(String word, Collection<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        int limit = Math.max(1, Math.min(3, word.length() / 3 + 1));
        String w = word.toLowerCase(Locale.ROOT);
        for (String c : candidates) {
            String lc = c.toLowerCase(Locale.ROOT);
            int d = distance(w, lc);
            // On a tie, a dropped letter ('taks' for 'tasks') is a likelier typo than a changed one ('tags').
            boolean better = best != null
                    && d == bestDistance
                    && (isSubsequence(w, lc) != isSubsequence(w, best.toLowerCase(Locale.ROOT))
                            ? isSubsequence(w, lc)
                            : c.compareTo(best) < 0);
            if (d < bestDistance || better) {
                best = c;
                bestDistance = d;
            }
        }
        return best != null && bestDistance <= limit && bestDistance > 0 ? Optional.of(best) : Optional.empty();
    }

    private static boolean isSubsequence(String small, String big) {
        int i = 0;
        for (int j = 0; j < big.length() && i < small.length(); j++) if (small.charAt(i) == big.charAt(j)) i++;
        return i == small.length();
    }

    /** {@code "; did you mean 'x'?"} or the empty string. */
    public static String didYouMean(String word, Collection<String> candidates) {
        return closest(word, candidates).map(s -> "; did you mean '" + s + "'?").orElse("");
    }

    /** Damerau-Levenshtein (optimal string alignment) distance, so a swapped pair of letters counts once. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
