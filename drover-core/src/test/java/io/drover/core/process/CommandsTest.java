package io.drover.core.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandsTest {
    @Test
    void aLineLongerThanTheCapIsCutMarkedAndTheRestOfItDropped() {
        byte[] endless = new byte[Commands.MAX_LINE_BYTES * 3];
        Arrays.fill(endless, (byte) 'x');
        List<String> lines = new ArrayList<>();
        Commands.lines(
                new SequenceInputStream(Collections.enumeration(List.of(
                        new ByteArrayInputStream("first\r\n".getBytes(StandardCharsets.UTF_8)),
                        new ByteArrayInputStream(endless),
                        new ByteArrayInputStream("\nafter\nlast without newline".getBytes(StandardCharsets.UTF_8))))),
                lines::add);
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).isEqualTo("first");
        assertThat(lines.get(1))
                .hasSize(Commands.MAX_LINE_BYTES + " [drover: line cut at 65536 bytes]".length())
                .endsWith("x [drover: line cut at 65536 bytes]");
        assertThat(lines.subList(2, 4)).containsExactly("after", "last without newline");
    }
}
