package io.drover.core.model;

/**
 * Where something was written: a file and a 1-based line, or just the file when the line is unknown (line 0).
 */
public record SourceLocation(String file, int line) {
    public static final SourceLocation UNKNOWN = new SourceLocation("", 0);

    public SourceLocation withLine(int newLine) {
        return new SourceLocation(file, newLine);
    }

    @Override
    public String toString() {
        if (file.isEmpty()) {
            return line > 0 ? "line " + line : "";
        }
        return line > 0 ? file + ":" + line : file;
    }
}
