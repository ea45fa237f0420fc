package io.drover.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TaskCommandTest {
  @Test
  void oneArgumentIsACommandLineSeveralAreArgumentsPassedAsTyped() {
    assertThat(TaskCommand.commandLine(List.of("make && make test"))).isEqualTo("make && make test");
    assertThat(TaskCommand.commandLine(List.of("./nightly.sh", "--full"))).isEqualTo("./nightly.sh --full");
    assertThat(TaskCommand.commandLine(List.of("sh", "-c", "echo a; echo b"))).isEqualTo("sh -c 'echo a; echo b'");
    assertThat(TaskCommand.commandLine(List.of("echo", "it's", ""))).isEqualTo("echo 'it'\\''s' ''");
    assertThat(TaskCommand.commandLine(List.of("echo", "$HOME", "*"))).isEqualTo("echo '$HOME' '*'");
  }
}
