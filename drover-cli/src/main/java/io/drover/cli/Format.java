package io.drover.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Small text helpers for tables and durations. */
final class Format {
    private Format() {}

    /** {@code 850ms}, {@code 1.2s}, {@code 2m05s}. */
    static String seconds(long millis) {
        if (millis < 1000) return millis + "ms";
        if (millis < 60_000) return String.format(Locale.ROOT, "%.1fs", millis / 1000.0);
        long s = millis / 1000;
        if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }

    /** One task's row in the task tables of run, runs show and runs status; {@code worker} empty when none. */
    record TaskRow(String task, String status, long attempts, long durationMillis, String worker, String message) {}

    /**
     * The task table: task, status, attempts, duration, the worker when any task ran on one (a run on the fleet), and
     * the message.
     */
    static String tasks(List<TaskRow> rows) {
        boolean onWorkers = rows.stream().anyMatch(r -> !r.worker().isEmpty());
        List<List<String>> cells = new ArrayList<>();
        for (TaskRow r : rows) {
            List<String> row = new ArrayList<>(List.of(
                    r.task(),
                    r.status(),
                    Long.toString(r.attempts()),
                    r.attempts() == 0 ? "-" : seconds(r.durationMillis())));
            if (onWorkers) row.add(r.worker().isEmpty() ? "-" : r.worker());
            row.add(clip(r.message(), 80));
            cells.add(row);
        }
        return table(
                onWorkers
                        ? List.of("TASK", "STATUS", "ATTEMPTS", "DURATION", "WORKER", "MESSAGE")
                        : List.of("TASK", "STATUS", "ATTEMPTS", "DURATION", "MESSAGE"),
                cells);
    }

    /** A plain-text table: a header row, then rows, columns padded to their widest cell; the last column is free. */
    static String table(List<String> header, List<List<String>> rows) {
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        for (List<String> r : rows) all.add(r.stream().map(Terminal::escape).toList()); // cells hold tasks' words
        int cols = header.size();
        int[] width = new int[cols];
        for (List<String> r : all)
            for (int c = 0; c < cols - 1; c++)
                width[c] = Math.max(width[c], r.get(c).length());
        StringBuilder sb = new StringBuilder();
        for (List<String> r : all) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < cols; c++) {
                String cell = r.get(c);
                line.append(cell);
                if (c < cols - 1) line.append(" ".repeat(width[c] - cell.length() + 2));
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }

    static String clip(String s, int max) {
        if (s == null) return "";
        String oneLine = s.replace('\n', ' ');
        return oneLine.length() <= max ? oneLine : oneLine.substring(0, max - 1) + "…";
    }
}
