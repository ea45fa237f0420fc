package io.drover.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class TaskCommandTest {
    @org.junit.jupiter.api.io.TempDir
    Path dir;

    @Test
    void aLuaBodyThatDoesNotCompileIsRefusedAtSubmitWithOneLine() throws Exception {
        var r = DroverProcess.run(dir, "task", "submit", "--redis-url", "redis://127.0.0.1:1", "--lua", "return true,");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip())
                .startsWith("drover: --lua: the Lua body does not compile: task.lua:1:")
                .doesNotContain("\n")
                .doesNotContain("Ć");
    }

    @Test
    void oneArgumentIsACommandLineSeveralAreArgumentsPassedAsTyped() {
        assertThat(TaskCommand.commandLine(List.of("make && make test"))).isEqualTo("make && make test");
        assertThat(TaskCommand.commandLine(List.of("./nightly.sh", "--full"))).isEqualTo("./nightly.sh --full");
        assertThat(TaskCommand.commandLine(List.of("sh", "-c", "echo a; echo b")))
                .isEqualTo("sh -c 'echo a; echo b'");
        assertThat(TaskCommand.commandLine(List.of("echo", "it's", ""))).isEqualTo("echo 'it'\\''s' ''");
        assertThat(TaskCommand.commandLine(List.of("echo", "$HOME", "*"))).isEqualTo("echo '$HOME' '*'");
    }
}
