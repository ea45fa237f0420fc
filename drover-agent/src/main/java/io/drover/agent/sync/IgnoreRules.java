package io.drover.agent.sync;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What a workspace keeps out of its transfers: the patterns of {@value #FILE} at its root, in gitignore's syntax.
 * Both sides read the same file (it travels with the workspace), so an ignored path neither goes to an agent nor
 * comes back from it. A line is a pattern; blank lines and lines starting with {@code #} say nothing. A pattern
 * with a {@code /} before its end is anchored at the root ({@code /build}, {@code docs/out}); one without matches a
 * name at any depth ({@code *.log}, {@code node_modules}). A trailing {@code /} matches directories only.
 * {@code *} and {@code ?} stay within a name, {@code **} crosses directories, {@code [...]} is a class, and a
 * pattern starting with {@code !} takes a path back in. The last pattern that matches a path decides; what is
 * below an ignored directory is ignored with it (it is not walked).
 */
public final class IgnoreRules {
    /** The file of a workspace's patterns, at its root. */
    public static final String FILE = ".droverignore";

    /** Nothing ignored. */
    public static final IgnoreRules NONE = new IgnoreRules(List.of(), false);

    private record Rule(Pattern pattern, boolean negated, boolean directoryOnly) {}

    private final List<Rule> rules;
    /** Only {@link #DEFAULTS}: a directory {@code .git} at the root. */
    private final boolean gitOnly;

    private IgnoreRules(List<Rule> rules, boolean gitOnly) {
        this.rules = rules;
        this.gitOnly = gitOnly;
    }

    /**
     * What every workspace leaves out unless its {@value #FILE} or the delegation takes it back ({@code !/.git/}): the
     * repository of a checkout, often the largest tree in it and never what a task needs from its workspace.
     */
    public static final List<String> DEFAULTS = List.of("/.git/");

    /**
     * The rules of the workspace at {@code root}: {@link #DEFAULTS} first, then its {@value #FILE} if it is a regular file there, then
     * {@code extra} (a delegation's {@code sync.exclude}), which come last and so decide over the file's.
     */
    public static IgnoreRules load(Path root, List<String> extra) throws IOException {
        Path f = root.resolve(FILE);
        List<String> lines = new ArrayList<>();
        if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS))
            lines.addAll(Files.readAllLines(f, StandardCharsets.UTF_8));
        lines.addAll(extra);
        if (lines.stream().allMatch(l -> l.isBlank() || l.strip().startsWith("#"))) return ONLY_DEFAULTS;
        List<String> all = new ArrayList<>(DEFAULTS);
        all.addAll(lines);
        return parse(all);
    }

    /** {@link #DEFAULTS} alone, checked without patterns: only a directory {@code .git} at the root is left out. */
    private static final IgnoreRules ONLY_DEFAULTS = new IgnoreRules(List.of(), true);

    /** Rules from the lines of an ignore file. */
    public static IgnoreRules parse(List<String> lines) {
        List<Rule> rules = new ArrayList<>();
        for (String raw : lines) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            boolean negated = line.startsWith("!");
            if (negated) line = line.substring(1);
            boolean dirOnly = line.endsWith("/");
            if (dirOnly) line = line.substring(0, line.length() - 1);
            if (line.isEmpty()) continue;
            boolean anchored = line.contains("/");
            if (line.startsWith("/")) line = line.substring(1);
            String regex = (anchored ? "" : "(?:.*/)?") + globToRegex(line);
            rules.add(new Rule(Pattern.compile(regex), negated, dirOnly));
        }
        return rules.isEmpty() ? NONE : new IgnoreRules(List.copyOf(rules), false);
    }

    public boolean isEmpty() {
        return rules.isEmpty() && !gitOnly;
    }

    /** Whether a path ({@code /}-separated, relative to the root) is kept out; {@code directory} when it is one. */
    public boolean ignored(String path, boolean directory) {
        if (gitOnly) return directory && path.equals(".git");
        boolean ignored = false;
        for (Rule r : rules) {
            if (r.directoryOnly && !directory) continue;
            if (r.pattern.matcher(path).matches()) ignored = !r.negated;
        }
        return ignored;
    }

    private static String globToRegex(String glob) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*' && i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                boolean slashAfter = i + 2 < glob.length() && glob.charAt(i + 2) == '/';
                if (slashAfter) { // **/ : any number of directories, none included
                    sb.append("(?:.*/)?");
                    i += 2;
                } else { // ** at the end (or inside a name): anything, across directories
                    sb.append(".*");
                    i += 1;
                }
            } else if (c == '*') {
                sb.append("[^/]*");
            } else if (c == '?') {
                sb.append("[^/]");
            } else if (c == '[') {
                int end = glob.indexOf(']', i + 1);
                if (end < 0) {
                    sb.append("\\[");
                } else {
                    String cls = glob.substring(i + 1, end);
                    if (cls.startsWith("!")) cls = "^" + cls.substring(1);
                    sb.append('[').append(cls.replace("\\", "\\\\")).append(']');
                    i = end;
                }
            } else {
                sb.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return sb.toString();
    }
}
