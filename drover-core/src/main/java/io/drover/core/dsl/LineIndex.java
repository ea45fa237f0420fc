package io.drover.core.dsl;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where groups, tasks and their fields are written, read off the file's table constructors (Lua tables keep no
 * line numbers). Best effort: a table built by code rather than written out has no lines, and errors about it name
 * the file only. The scan is one pass over the text with one token of lookahead, so its time and memory grow with
 * the file's length alone: a string literal of many megabytes costs what its bytes cost (a generated parser that
 * grew its token buffer by a constant step took minutes on one).
 */
final class LineIndex {
    /** Lines of one table constructor: its own and each named field's. */
    record Lines(int line, Map<String, Integer> fields) {
        int field(String name) {
            return fields.getOrDefault(name, line);
        }
    }

    private static final Lines NONE = new Lines(0, Map.of());
    private final Map<String, Lines> groups = new HashMap<>();
    private final Map<String, List<Lines>> tasks = new HashMap<>();

    static LineIndex of(String text) {
        LineIndex index = new LineIndex();
        try {
            for (Table t : new Constructors(text).all()) index.scan(t);
        } catch (RuntimeException | StackOverflowError e) {
            // the compiler reports what is wrong with the text; without constructors, errors carry no line
        }
        return index;
    }

    /** A named field whose value is a table with a {@code tasks} field is taken for a group. */
    private void scan(Table t) {
        for (Field f : t.fields) {
            if (f.kind != Kind.NAMED || f.table == null || groups.containsKey(f.key)) continue;
            Lines g = lines(f.table);
            if (!g.fields().containsKey("tasks")) continue;
            groups.put(f.key, g);
            Field tasksField = named(f.table, "tasks");
            if (tasksField != null && tasksField.table != null) {
                List<Lines> items = new ArrayList<>();
                for (Field item : tasksField.table.fields) {
                    if (item.kind != Kind.LIST) break; // not a plain list: positions would lie
                    items.add(item.table != null ? lines(item.table) : new Lines(item.line, Map.of()));
                }
                tasks.put(f.key, items);
            }
        }
    }

    private static Field named(Table t, String name) {
        for (Field f : t.fields) {
            if (f.kind == Kind.NAMED && name.equals(f.key)) return f;
        }
        return null;
    }

    private static Lines lines(Table t) {
        Map<String, Integer> fields = new HashMap<>();
        for (Field f : t.fields) {
            if (f.key != null) fields.putIfAbsent(f.key, f.line);
        }
        return new Lines(t.line, fields);
    }

    Lines group(String name) {
        return groups.getOrDefault(name, NONE);
    }

    /** The task at {@code position} (1-based) of a group's {@code tasks} list. */
    Lines task(String group, int position) {
        List<Lines> l = tasks.get(group);
        return l == null || position < 1 || position > l.size() ? NONE : l.get(position - 1);
    }

    // ---- the file's table constructors ----

    private enum Kind {
        NAMED,
        INDEX,
        LIST
    }

    /** {@code name = v}, {@code ["key"] = v} (key null for another index) or a list item; table set when v is one constructor. */
    private record Field(Kind kind, String key, int line, Table table) {}

    private static final class Table {
        final int line;
        final List<Field> fields = new ArrayList<>();

        Table(int line) {
            this.line = line;
        }
    }

    private enum Type {
        NAME,
        STRING,
        NUMBER,
        OP,
        EOF
    }

    /** A token: a name, a string's value (null when long or escaped: only short keys are looked up), an operator. */
    private record Token(Type type, String text, int line) {
        boolean is(String op) {
            return type == Type.OP && op.equals(text);
        }
    }

    private static final Set<String> KEYWORDS = Set.of(
            "and",
            "break",
            "do",
            "else",
            "elseif",
            "end",
            "false",
            "for",
            "function",
            "goto",
            "if",
            "in",
            "local",
            "nil",
            "not",
            "or",
            "repeat",
            "return",
            "then",
            "true",
            "until",
            "while");
    /** Words that open a block closed by {@code end} ({@code while} and {@code for} open theirs with {@code do}) or {@code until}. */
    private static final Set<String> OPENERS = Set.of("function", "do", "if", "repeat");

    private static final Set<String> CLOSERS = Set.of("end", "until");

    /** Reads every table constructor of a text, in the order their braces open. */
    private static final class Constructors {
        private final String s;
        private final List<Table> all = new ArrayList<>();
        private int pos;
        private int line = 1;
        private Token tok;
        private Token ahead;

        Constructors(String text) {
            this.s = text;
            if (s.startsWith("#")) skipLine(); // a shebang line
            tok = lex();
        }

        List<Table> all() {
            while (tok.type != Type.EOF) {
                if (tok.is("{")) table();
                else next();
            }
            return all;
        }

        /** At a '{': reads the constructor through its '}'. */
        private Table table() {
            Table t = new Table(tok.line);
            all.add(t);
            next();
            while (tok.type != Type.EOF && !tok.is("}")) field(t);
            if (tok.is("}")) next();
            return t;
        }

        private void field(Table t) {
            int begin = tok.line;
            if (tok.type == Type.NAME && !KEYWORDS.contains(tok.text) && peek().is("=")) {
                String name = tok.text;
                next();
                next();
                t.fields.add(new Field(Kind.NAMED, name, begin, value()));
            } else if (tok.is("[")) {
                next();
                String key = tok.type == Type.STRING && peek().is("]") ? tok.text : null;
                value();
                if (tok.is("]")) next();
                if (tok.is("=")) next();
                t.fields.add(new Field(Kind.INDEX, key, begin, value()));
            } else {
                t.fields.add(new Field(Kind.LIST, null, begin, value()));
            }
            if (tok.is(",") || tok.is(";")) next();
            else if (!tok.is("}") && tok.type != Type.EOF) next(); // text the compiler refuses: step over it
        }

        /**
         * Reads one expression up to the ',', ';' or '}' of the table it is in (or the ']' of an index), reading the
         * constructors inside it; returns its table when the whole expression is one constructor.
         */
        private Table value() {
            int depth = 0;
            int parts = 0;
            Table only = null;
            while (tok.type != Type.EOF) {
                if (depth <= 0 && (tok.is(",") || tok.is(";") || tok.is("}") || tok.is("]"))) break;
                parts++;
                if (tok.is("{")) {
                    Table inner = table();
                    only = parts == 1 ? inner : null;
                    continue;
                }
                if (tok.is("(") || tok.is("[") || tok.type == Type.NAME && OPENERS.contains(tok.text)) depth++;
                else if (tok.is(")") || tok.is("]") || tok.type == Type.NAME && CLOSERS.contains(tok.text)) depth--;
                next();
            }
            return parts == 1 ? only : null;
        }

        private Token peek() {
            if (ahead == null) ahead = lex();
            return ahead;
        }

        private void next() {
            if (ahead != null) {
                tok = ahead;
                ahead = null;
            } else {
                tok = lex();
            }
        }

        // ---- the lexer: Lua's tokens, newlines counted as Lua counts them ----

        private Token lex() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == '\n' || c == '\r') {
                    newline();
                } else if (c == ' ' || c == '\t' || c == '\f' || c == 0x0b) {
                    pos++;
                } else if (c == '-' && s.startsWith("--", pos)) {
                    pos += 2;
                    int level = longBracket();
                    if (level >= 0) skipLong(level);
                    else skipLine();
                } else {
                    break;
                }
            }
            if (pos >= s.length()) return new Token(Type.EOF, "", line);
            int at = line;
            char c = s.charAt(pos);
            if (Character.isLetter(c) || c == '_') {
                int start = pos;
                while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')) pos++;
                return new Token(Type.NAME, s.substring(start, pos), at);
            }
            if (Character.isDigit(c) || c == '.' && pos + 1 < s.length() && Character.isDigit(s.charAt(pos + 1))) {
                while (pos < s.length()) {
                    char d = s.charAt(pos);
                    char before = s.charAt(pos - 1);
                    boolean sign = (d == '+' || d == '-') && "eEpP".indexOf(before) >= 0;
                    if (!Character.isLetterOrDigit(d) && d != '.' && d != '_' && !sign) break;
                    pos++;
                }
                return new Token(Type.NUMBER, "", at);
            }
            if (c == '"' || c == '\'') return new Token(Type.STRING, shortString(c), at);
            if (c == '[') {
                int level = longBracket();
                if (level >= 0) {
                    skipLong(level);
                    return new Token(Type.STRING, null, at);
                }
                pos++;
                return new Token(Type.OP, "[", at);
            }
            if ((c == '=' || c == '<' || c == '>' || c == '~') && pos + 1 < s.length() && s.charAt(pos + 1) == '=') {
                pos += 2;
                return new Token(Type.OP, c + "=", at);
            }
            pos++;
            return new Token(Type.OP, String.valueOf(c), at);
        }

        private void newline() {
            char c = s.charAt(pos++);
            if (pos < s.length() && s.charAt(pos) != c && (s.charAt(pos) == '\n' || s.charAt(pos) == '\r')) pos++;
            line++;
        }

        private void skipLine() {
            while (pos < s.length() && s.charAt(pos) != '\n' && s.charAt(pos) != '\r') pos++;
        }

        /** At a '[': the level of the long bracket that opens here ({@code [[} is 0, {@code [==[} is 2), after it; -1 when none. */
        private int longBracket() {
            if (pos >= s.length() || s.charAt(pos) != '[') return -1;
            int p = pos + 1;
            while (p < s.length() && s.charAt(p) == '=') p++;
            if (p >= s.length() || s.charAt(p) != '[') return -1;
            int level = p - pos - 1;
            pos = p + 1;
            return level;
        }

        /** Skips a long string or comment through its closing bracket of the same level. */
        private void skipLong(int level) {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == '\n' || c == '\r') {
                    newline();
                } else if (c == ']') {
                    int p = pos + 1;
                    while (p < s.length() && s.charAt(p) == '=') p++;
                    if (p < s.length() && s.charAt(p) == ']' && p - pos - 1 == level) {
                        pos = p + 1;
                        return;
                    }
                    pos = p;
                } else {
                    pos++;
                }
            }
        }

        /** A quoted string; its value when short and free of escapes, else null. */
        private String shortString(char quote) {
            int start = ++pos;
            boolean plain = true;
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == quote) {
                    String value = plain && pos - start <= 256 ? s.substring(start, pos) : null;
                    pos++;
                    return value;
                }
                if (c == '\\') {
                    plain = false;
                    pos++;
                    if (pos < s.length() && (s.charAt(pos) == '\n' || s.charAt(pos) == '\r')) newline();
                    else pos++;
                } else if (c == '\n' || c == '\r') {
                    plain = false; // after a \z, or unfinished (the compiler says so)
                    newline();
                } else {
                    pos++;
                }
            }
            return null;
        }
    }
}
