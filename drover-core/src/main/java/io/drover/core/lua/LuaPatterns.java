package io.drover.core.lua;

import java.util.Arrays;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.VarArgFunction;

/**
 * Lua 5.2 patterns ({@code string.find}, {@code match}, {@code gmatch}, {@code gsub}) matched under a budget: every
 * {@value #CHECK_EVERY} steps the matcher asks the running task whether it was stopped (timeout, cancel) and lets
 * other virtual threads run, so a pattern that backtracks for weeks ends with its task and never holds a carrier.
 * LuaJ's own matcher runs in Java with no such check. Results that build strings ({@code gsub}) are bounded by
 * {@link #MAX_STRING}.
 */
final class LuaPatterns {
    /** The longest string a library call builds: 256 MiB. */
    static final int MAX_STRING = 256 << 20;

    private static final int CHECK_EVERY = 4096;
    private static final int MAX_CAPTURES = 32;
    private static final int MAX_DEPTH = 200;
    private static final int CAP_UNFINISHED = -1;
    private static final int CAP_POSITION = -2;
    private static final char ESC = '%';
    private static final String SPECIALS = "^$*+?.([%-";

    private LuaPatterns() {}

    /** Puts the budgeted functions into a string library table (replacing LuaJ's). */
    static void install(LuaTable string) {
        string.rawset("find", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                return findAux(args, true);
            }
        });
        string.rawset("match", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                return findAux(args, false);
            }
        });
        string.rawset("gmatch", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                LuaString s = args.checkstring(1);
                LuaString p = args.checkstring(2);
                return new GMatch(s, p);
            }
        });
        string.rawset("gsub", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                return gsub(args);
            }
        });
        string.rawset("rep", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                return rep(args);
            }
        });
    }

    // ---- the library functions ----

    private static Varargs findAux(Varargs args, boolean find) {
        LuaString s = args.checkstring(1);
        LuaString p = args.checkstring(2);
        int init = position(args.optint(3, 1), s.length());
        if (init < 1) init = 1;
        if (init > s.length() + 1) return LuaValue.NIL;
        if (find && (args.arg(4).toboolean() || !hasSpecials(p))) {
            int at = s.indexOf(p, init - 1);
            return at < 0
                    ? LuaValue.NIL
                    : LuaValue.varargsOf(LuaValue.valueOf(at + 1), LuaValue.valueOf(at + p.length()));
        }
        Matcher m = new Matcher(s, p);
        boolean anchor = p.length() > 0 && p.luaByte(0) == '^';
        int pi = anchor ? 1 : 0;
        int si = init - 1;
        do {
            m.reset();
            int e = m.match(si, pi);
            if (e != -1) {
                if (find) {
                    return LuaValue.varargsOf(LuaValue.valueOf(si + 1), LuaValue.valueOf(e), m.captures(false, -1, -1));
                }
                return m.captures(true, si, e);
            }
            si++;
        } while (si <= s.length() && !anchor);
        return LuaValue.NIL;
    }

    private static Varargs gsub(Varargs args) {
        LuaString src = args.checkstring(1);
        int srcl = src.length();
        LuaString p = args.checkstring(2);
        LuaValue repl = args.arg(3);
        int maxN = args.optint(4, srcl + 1);
        if (!(repl.isstring() || repl.istable() || repl.isfunction())) {
            throw new LuaError(
                    "bad argument #3 to 'gsub' (string/function/table expected, got " + repl.typename() + ")");
        }
        boolean anchor = p.length() > 0 && p.luaByte(0) == '^';
        Out out = new Out(srcl);
        Matcher m = new Matcher(src, p);
        int si = 0;
        int n = 0;
        int pi = anchor ? 1 : 0;
        while (n < maxN) {
            m.reset();
            int e = m.match(si, pi);
            if (e != -1) {
                n++;
                m.addValue(out, si, e, repl);
            }
            if (e != -1 && e > si) {
                si = e;
            } else if (si < srcl) {
                out.append((byte) src.luaByte(si++));
            } else {
                break;
            }
            if (out.length() > MAX_STRING) throw tooLong("gsub", out.length());
            if (anchor) break;
        }
        if (si < srcl) out.append(src.substring(si, srcl));
        if (out.length() > MAX_STRING) throw tooLong("gsub", out.length());
        return LuaValue.varargsOf(out.value(), LuaValue.valueOf(n));
    }

    private static Varargs rep(Varargs args) {
        LuaString s = args.checkstring(1);
        int n = args.checkint(2);
        LuaString sep = args.optstring(3, LuaValue.EMPTYSTRING);
        if (n <= 0) return LuaValue.EMPTYSTRING;
        long total = (long) s.length() * n + (long) sep.length() * (n - 1);
        if (total > MAX_STRING) throw tooLong("rep", total);
        byte[] bytes = new byte[(int) total];
        int at = 0;
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sep.copyInto(0, bytes, at, sep.length());
                at += sep.length();
            }
            s.copyInto(0, bytes, at, s.length());
            at += s.length();
            if ((i & 0xfff) == 0xfff) Budget.step();
        }
        return LuaString.valueUsing(bytes);
    }

    static LuaError tooLong(String fn, long bytes) {
        return new LuaError("string." + fn + ": the result would be " + bytes + " bytes, over Drover's limit of "
                + MAX_STRING + " bytes for one string");
    }

    private static int position(int pos, int len) {
        return pos >= 0 ? pos : len + pos + 1;
    }

    private static boolean hasSpecials(LuaString p) {
        for (int i = 0; i < p.length(); i++) {
            if (SPECIALS.indexOf(p.luaByte(i)) >= 0) return true;
        }
        return false;
    }

    /** Bytes being built into a string. */
    private static final class Out {
        private byte[] buf;
        private int len;

        Out(int capacity) {
            buf = new byte[Math.max(16, capacity)];
        }

        private void room(int more) {
            if (len + more > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
        }

        void append(byte b) {
            room(1);
            buf[len++] = b;
        }

        void append(LuaString s) {
            room(s.length());
            s.copyInto(0, buf, len, s.length());
            len += s.length();
        }

        int length() {
            return len;
        }

        LuaString value() {
            return LuaString.valueOf(buf, 0, len);
        }
    }

    /** The iterator {@code gmatch} returns. */
    private static final class GMatch extends VarArgFunction {
        private final LuaString s;
        private final Matcher m;
        private int at;

        GMatch(LuaString s, LuaString p) {
            this.s = s;
            this.m = new Matcher(s, p);
        }

        @Override
        public Varargs invoke(Varargs args) {
            for (; at <= s.length(); at++) {
                m.reset();
                int e = m.match(at, 0);
                if (e != -1) {
                    int start = at;
                    at = e == start ? e + 1 : e; // after an empty match, go on from the next character
                    return m.captures(true, start, e);
                }
            }
            return LuaValue.NIL;
        }
    }

    /** Where the budget is charged: the interpreter of the task this thread runs for. */
    static final class Budget {
        private Budget() {}

        @SuppressWarnings("ThreadPriorityCheck") // a long match on a virtual thread yields so others on its carrier run
        static void step() {
            LuaInterpreter in = LuaInterpreter.current();
            if (in != null) in.checkStop();
            if (Thread.currentThread().isVirtual()) Thread.yield();
        }
    }

    /** One match of a pattern against a subject, with its captures. */
    private static final class Matcher {
        private final LuaString s;
        private final LuaString p;
        private final int[] cstart = new int[MAX_CAPTURES];
        private final int[] clen = new int[MAX_CAPTURES];
        private int level;
        private int depth;
        private int steps;

        Matcher(LuaString s, LuaString p) {
            this.s = s;
            this.p = p;
        }

        void reset() {
            level = 0;
            depth = 0;
        }

        private void step() {
            if (++steps == CHECK_EVERY) {
                steps = 0;
                Budget.step();
            }
        }

        /** The end (exclusive) of a match of {@code p[pi..]} at {@code s[si..]}, or -1. */
        @SuppressWarnings("OrphanedFormatString") // Lua pattern items (%b, %f) in Lua's own error messages
        int match(int si, int pi) {
            if (++depth > MAX_DEPTH) throw new LuaError("pattern too complex");
            try {
                while (true) {
                    step();
                    if (pi == p.length()) return si;
                    switch (p.luaByte(pi)) {
                        case '(':
                            if (pi + 1 < p.length() && p.luaByte(pi + 1) == ')')
                                return startCapture(si, pi + 2, CAP_POSITION);
                            return startCapture(si, pi + 1, CAP_UNFINISHED);
                        case ')':
                            return endCapture(si, pi + 1);
                        case '$':
                            if (pi + 1 == p.length()) return si == s.length() ? si : -1;
                            break;
                        case ESC:
                            if (pi + 1 < p.length()) {
                                int c = p.luaByte(pi + 1);
                                if (c == 'b') {
                                    si = matchBalance(si, pi + 2);
                                    if (si == -1) return -1;
                                    pi += 4;
                                    continue;
                                }
                                if (c == 'f') {
                                    pi += 2;
                                    if (pi >= p.length() || p.luaByte(pi) != '[') {
                                        throw new LuaError("missing '[' after '%f' in pattern");
                                    }
                                    int ep = classEnd(pi);
                                    int prev = si == 0 ? 0 : s.luaByte(si - 1);
                                    int cur = si < s.length() ? s.luaByte(si) : 0;
                                    if (matchClass(prev, pi, ep - 1) || !matchClass(cur, pi, ep - 1)) return -1;
                                    pi = ep;
                                    continue;
                                }
                                if (Character.isDigit(c)) {
                                    si = matchCapture(si, c);
                                    if (si == -1) return -1;
                                    pi += 2;
                                    continue;
                                }
                            }
                            break;
                        default:
                            break;
                    }
                    int ep = classEnd(pi);
                    boolean m = si < s.length() && singleMatch(s.luaByte(si), pi, ep);
                    int q = ep < p.length() ? p.luaByte(ep) : 0;
                    switch (q) {
                        case '?': {
                            if (m) {
                                int r = match(si + 1, ep + 1);
                                if (r != -1) return r;
                            }
                            pi = ep + 1;
                            continue;
                        }
                        case '*':
                            return maxExpand(si, pi, ep);
                        case '+':
                            return m ? maxExpand(si + 1, pi, ep) : -1;
                        case '-':
                            return minExpand(si, pi, ep);
                        default:
                            if (!m) return -1;
                            si++;
                            pi = ep;
                    }
                }
            } finally {
                depth--;
            }
        }

        private int maxExpand(int si, int pi, int ep) {
            int i = 0;
            while (si + i < s.length() && singleMatch(s.luaByte(si + i), pi, ep)) {
                i++;
                step();
            }
            while (i >= 0) {
                int r = match(si + i, ep + 1);
                if (r != -1) return r;
                i--;
            }
            return -1;
        }

        private int minExpand(int si, int pi, int ep) {
            while (true) {
                int r = match(si, ep + 1);
                if (r != -1) return r;
                if (si < s.length() && singleMatch(s.luaByte(si), pi, ep)) {
                    si++;
                } else {
                    return -1;
                }
            }
        }

        private int startCapture(int si, int pi, int what) {
            if (level >= MAX_CAPTURES) throw new LuaError("too many captures");
            cstart[level] = si;
            clen[level] = what;
            level++;
            int r = match(si, pi);
            if (r == -1) level--;
            return r;
        }

        private int endCapture(int si, int pi) {
            int l = captureToClose();
            clen[l] = si - cstart[l];
            int r = match(si, pi);
            if (r == -1) clen[l] = CAP_UNFINISHED;
            return r;
        }

        private int captureToClose() {
            for (int l = level - 1; l >= 0; l--) {
                if (clen[l] == CAP_UNFINISHED) return l;
            }
            throw new LuaError("invalid pattern capture");
        }

        @SuppressWarnings("OrphanedFormatString") // Lua pattern items (%b, %f) in Lua's own error messages
        private int matchBalance(int si, int pi) {
            if (pi + 1 >= p.length()) throw new LuaError("missing arguments to '%b'");
            if (si >= s.length() || s.luaByte(si) != p.luaByte(pi)) return -1;
            int b = p.luaByte(pi);
            int e = p.luaByte(pi + 1);
            int cont = 1;
            for (int i = si + 1; i < s.length(); i++) {
                step();
                int c = s.luaByte(i);
                if (c == e) {
                    if (--cont == 0) return i + 1;
                } else if (c == b) {
                    cont++;
                }
            }
            return -1;
        }

        private int matchCapture(int si, int digit) {
            int l = digit - '1';
            if (l < 0 || l >= level || clen[l] == CAP_UNFINISHED)
                throw new LuaError("invalid capture index %" + (l + 1));
            int len = clen[l];
            if (s.length() - si >= len && LuaString.equals(s, cstart[l], s, si, len)) return si + len;
            return -1;
        }

        /** The index just past the single-character class at {@code pi}. */
        private int classEnd(int pi) {
            int c = p.luaByte(pi++);
            if (c == ESC) {
                if (pi >= p.length()) throw new LuaError("malformed pattern (ends with '%')");
                return pi + 1;
            }
            if (c == '[') {
                if (pi < p.length() && p.luaByte(pi) == '^') pi++;
                do {
                    if (pi >= p.length()) throw new LuaError("malformed pattern (missing ']')");
                    c = p.luaByte(pi++);
                    if (c == ESC) {
                        if (pi >= p.length()) throw new LuaError("malformed pattern (missing ']')");
                        pi++;
                    }
                } while (pi >= p.length() || p.luaByte(pi) != ']');
                return pi + 1;
            }
            return pi;
        }

        private boolean singleMatch(int c, int pi, int ep) {
            return switch (p.luaByte(pi)) {
                case '.' -> true;
                case ESC -> classMatches(c, p.luaByte(pi + 1));
                case '[' -> matchClass(c, pi, ep - 1);
                default -> p.luaByte(pi) == c;
            };
        }

        /** Whether {@code c} is in the set {@code [...]} from {@code pi} ('[') to {@code ec} (']'). */
        private boolean matchClass(int c, int pi, int ec) {
            boolean sig = true;
            if (p.luaByte(pi + 1) == '^') {
                sig = false;
                pi++;
            }
            while (++pi < ec) {
                int pc = p.luaByte(pi);
                if (pc == ESC) {
                    pi++;
                    if (classMatches(c, p.luaByte(pi))) return sig;
                } else if (pi + 2 < ec && p.luaByte(pi + 1) == '-') {
                    if (pc <= c && c <= p.luaByte(pi + 2)) return sig;
                    pi += 2;
                } else if (pc == c) {
                    return sig;
                }
            }
            return !sig;
        }

        private static boolean classMatches(int c, int cl) {
            boolean res = switch (Character.toLowerCase(cl)) {
                case 'a' -> isAlpha(c);
                case 'c' -> c < 32 || c == 127;
                case 'd' -> c >= '0' && c <= '9';
                case 'g' -> c > 32 && c < 127;
                case 'l' -> c >= 'a' && c <= 'z';
                case 'p' -> isPunct(c);
                case 's' -> c == ' ' || (c >= '\t' && c <= '\r');
                case 'u' -> c >= 'A' && c <= 'Z';
                case 'w' -> isAlpha(c) || (c >= '0' && c <= '9');
                case 'x' -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
                default -> {
                    yield cl == c;
                }
            };
            boolean isClass = "acdglpsuwx".indexOf(Character.toLowerCase(cl)) >= 0;
            if (isClass && Character.isUpperCase(cl)) return !res;
            return res;
        }

        private static boolean isAlpha(int c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        }

        private static boolean isPunct(int c) {
            return c > 32 && c < 127 && !isAlpha(c) && !(c >= '0' && c <= '9');
        }

        /** Capture {@code i}, or the whole match when the pattern has none and {@code wholeIfNone}. */
        private LuaValue capture(int i, int si, int e) {
            if (i >= level) {
                if (i == 0) return s.substring(si, e);
                throw new LuaError("invalid capture index %" + (i + 1));
            }
            int l = clen[i];
            if (l == CAP_UNFINISHED) throw new LuaError("unfinished capture");
            if (l == CAP_POSITION) return LuaValue.valueOf(cstart[i] + 1);
            return s.substring(cstart[i], cstart[i] + l);
        }

        Varargs captures(boolean wholeIfNone, int si, int e) {
            int n = level == 0 && wholeIfNone ? 1 : level;
            LuaValue[] v = new LuaValue[n];
            for (int i = 0; i < n; i++) v[i] = capture(i, si, e);
            return LuaValue.varargsOf(v);
        }

        void addValue(Out out, int si, int e, LuaValue repl) {
            LuaValue r;
            if (repl.isstring()) {
                LuaString news = repl.strvalue();
                for (int i = 0; i < news.length(); i++) {
                    int c = news.luaByte(i);
                    if (c == ESC) {
                        i++;
                        if (i >= news.length()) throw new LuaError("invalid use of '%' in replacement string");
                        int d = news.luaByte(i);
                        if (d == '0') {
                            out.append(s.substring(si, e));
                        } else if (Character.isDigit(d)) {
                            LuaValue cap = capture(d - '1', si, e);
                            out.append(cap.strvalue());
                        } else if (d == ESC) {
                            out.append((byte) ESC);
                        } else {
                            throw new LuaError("invalid use of '%' in replacement string");
                        }
                    } else {
                        out.append((byte) c);
                    }
                }
                return;
            }
            LuaValue first = capture(0, si, e);
            r = repl.istable()
                    ? repl.get(first)
                    : repl.invoke(captures(true, si, e)).arg1();
            if (!r.toboolean()) {
                out.append(s.substring(si, e));
            } else if (r.isstring()) {
                out.append(r.strvalue());
            } else {
                throw new LuaError("invalid replacement value (a " + r.typename() + ")");
            }
        }
    }
}
