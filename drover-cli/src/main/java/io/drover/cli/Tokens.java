package io.drover.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Where a command's token comes from: {@code --token}, else {@code --token-file}, else an environment variable. */
final class Tokens {
    /** The help line of every {@code --token} option: a command line is visible to every local user. */
    static final String VISIBLE =
            "visible to other local users in the process list: prefer --token-file or the variable";

    private Tokens() {}

    static String resolve(String token, Path file, String variable) {
        if (token != null && file != null) throw new Main.UserException("give --token or --token-file, not both");
        if (token != null) return token;
        if (file != null) {
            try {
                String t = Files.readString(file, StandardCharsets.UTF_8).strip();
                if (t.isEmpty()) throw new Main.UserException("--token-file " + file + " is empty");
                return t;
            } catch (NoSuchFileException e) {
                throw new Main.UserException("--token-file " + file + ": no such file");
            } catch (IOException e) {
                throw new Main.UserException("--token-file " + file + ": " + e.getMessage());
            }
        }
        return System.getenv(variable);
    }
}
