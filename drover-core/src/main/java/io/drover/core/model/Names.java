package io.drover.core.model;

/**
 * The names the fleet keys things by: queues, tag names and values, task kinds (1 to 64 letters, digits, '_', '.',
 * '-', not starting with '.'), and worker ids (up to 128, ':' allowed too). One rule, so a workflow file is checked
 * against what the queue will accept. Checked by hand: names are checked several times per task, and a regular
 * expression was 3% of a busy worker's time.
 */
public final class Names {
    private Names() {}

    public static boolean isName(String s) {
        return matches(s, 64, false);
    }

    public static boolean isWorkerId(String s) {
        return matches(s, 128, true);
    }

    private static boolean matches(String s, int max, boolean colon) {
        if (s == null || s.isEmpty() || s.length() > max || s.charAt(0) == '.') return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || c == '_'
                    || c == '.'
                    || c == '-'
                    || (colon && c == ':');
            if (!ok) return false;
        }
        return true;
    }
}
