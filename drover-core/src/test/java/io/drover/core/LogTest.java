package io.drover.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.drover.core.lua.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the long-running parts' lines look like, and which are written at a level. */
class LogTest {
    private static final Instant AT = Instant.parse("2026-12-07T10:00:00.123Z");

    @Test
    void aPlainLineSaysTimePartIdAndMessage() {
        assertThat(Log.line(AT, Log.Level.INFO, "worker", "w1", "draining: no new tasks", Log.Format.PLAIN))
                .isEqualTo("2026-12-07T10:00:00.123Z worker w1: draining: no new tasks");
    }

    @Test
    @SuppressWarnings("unchecked")
    void aJsonLineIsOneObjectWhateverTheMessageHoldsForALogCollector() {
        String line = Log.line(
                AT, Log.Level.WARN, "controller", "ctl-\"a\"", "run r1 said \"no\"\n\tand\u0001 left", Log.Format.JSON);
        assertThat(line).doesNotContain("\n");
        Map<String, Object> m = (Map<String, Object>) Json.read(line);
        assertThat(m)
                .containsEntry("ts", "2026-12-07T10:00:00.123Z")
                .containsEntry("level", "warn")
                .containsEntry("component", "controller")
                .containsEntry("id", "ctl-\"a\"")
                .containsEntry("message", "run r1 said \"no\"\n\tand\u0001 left");
    }

    @Test
    void linesBelowTheLevelAreNotWrittenAndBadLevelsAndFormatsAreNamed() {
        Log.Level before = Log.level();
        PrintStream err = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
            Log.configure(Log.Level.WARN, Log.Format.PLAIN);
            Log log = Log.of("worker", "w9");
            log.info("not said");
            log.debug("not said either");
            log.warn("said");
        } finally {
            System.setErr(err);
            Log.configure(before, Log.Format.PLAIN);
        }
        assertThat(out.toString(StandardCharsets.UTF_8))
                .endsWith(" worker w9: said\n")
                .doesNotContain("not said");
        assertThatThrownBy(() -> Log.Level.parse("loud"))
                .hasMessage("the log level must be error, warn, info or debug, not 'loud'");
        assertThatThrownBy(() -> Log.Format.parse("xml")).hasMessage("the log format must be plain or json, not 'xml'");
    }
}
