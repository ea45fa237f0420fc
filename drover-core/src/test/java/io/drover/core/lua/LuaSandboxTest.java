package io.drover.core.lua;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.drover.core.WorkflowException;
import io.drover.core.model.WorkflowSource;
import io.drover.core.process.Cancellation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaFunction;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

class LuaSandboxTest {
  @TempDir Path dir;
  private final List<String> log = new ArrayList<>();

  /** Evaluates {@code body} as a function called inside a task whose workdir is {@code dir/work}. */
  private Varargs call(String body) throws Exception {
    Files.createDirectories(dir.resolve("work"));
    LuaInterpreter in = new LuaInterpreter(new WorkflowSource("flow.lua", "Fn = function()\n" + body + "\nend"));
    return in.call((LuaFunction) in.global("Fn"), scope(), LuaValue.NONE);
  }

  private TaskScope scope() {
    return new TaskScope(log::add, dir.resolve("work"), new HashMap<>(), new Cancellation());
  }

  private String error(String body) {
    try {
      call(body);
    } catch (LuaError e) {
      return LuaErrors.message(e);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected a Lua error");
  }

  @Test
  void offersNoProcessFileOrDebugAccessOfLuasOwn() throws Exception {
    Varargs r = call("return os.execute, io, debug, require, dofile, loadfile, package, os.remove, os.exit, string.dump, luajava");
    for (int i = 1; i <= 11; i++) assertThat(r.arg(i).isnil()).as("value %d", i).isTrue();
    assertThat(call("return os.time() > 0, type(os.date)").arg1().toboolean()).isTrue();
  }

  @Test
  void refusesBinaryChunks() throws Exception {
    Varargs r = call("return load('\\27Lua\\82\\0\\1\\4\\4\\4\\8\\0')");
    assertThat(r.arg1().isnil()).isTrue();
    assertThat(r.arg(2).tojstring()).isNotEmpty();
  }

  @Test
  void confinesFsToTheWorkingDirectory() throws Exception {
    call("fs.write('a/b.txt', 'hi'); fs.append('a/b.txt', '!')");
    assertThat(Files.readString(dir.resolve("work/a/b.txt"))).isEqualTo("hi!");
    assertThat(call("return fs.read('a/b.txt'), fs.exists('a/b.txt'), fs.exists('nope')").arg(2).toboolean()).isTrue();
    assertThat(error("fs.write('../escape.txt', 'x')")).contains("path '../escape.txt' leaves the task's working directory");
    assertThat(error("return fs.read('/etc/passwd')")).contains("path '/etc/passwd' is absolute");
    assertThat(dir.resolve("escape.txt")).doesNotExist();
  }

  @Test
  void refusesToFollowALinkOutOfTheWorkingDirectory() throws Exception {
    Files.createDirectories(dir.resolve("work"));
    Files.createDirectories(dir.resolve("outside"));
    Files.createSymbolicLink(dir.resolve("work/link"), dir.resolve("outside"));
    assertThat(error("fs.write('link/x.txt', 'x')")).contains("leads out of the task's working directory through a link");
    assertThat(dir.resolve("outside/x.txt")).doesNotExist();
  }

  @Test
  void listsMakesAndRemoves() throws Exception {
    Varargs r = call("fs.mkdir('d/e'); fs.write('d/e/f', '1'); fs.write('d/z', '2'); local l = fs.list('d'); "
        + "fs.rm('d', true); return l[1], l[2], fs.exists('d')");
    assertThat(r.arg(1).tojstring()).isEqualTo("e");
    assertThat(r.arg(2).tojstring()).isEqualTo("z");
    assertThat(r.arg(3).toboolean()).isFalse();
  }

  @Test
  void execRunsAnArgumentListAndReturnsOutputsAndCode() throws Exception {
    Varargs r = call("return exec.run({'sh', '-c', 'echo out; echo err >&2; exit 3'})");
    assertThat(r.arg(1).tojstring()).isEqualTo("out\n");
    assertThat(r.arg(2).tojstring()).isEqualTo("err\n");
    assertThat(r.arg(3).toint()).isEqualTo(3);
    // arguments are not split or interpreted by a shell
    assertThat(call("return exec({'echo', '$(id); rm -rf x'})").arg1().tojstring()).isEqualTo("$(id); rm -rf x\n");
    assertThat(error("exec.run('ls -l')")).contains("exec.run takes a list of arguments");
  }

  @Test
  void envSetOnlyChangesTheTasksOwnEnvironment() throws Exception {
    Varargs r = call("env.set('DROVER_TEST_X', 'v1'); return env.get('DROVER_TEST_X'), exec.run({'sh', '-c', 'printf %s $DROVER_TEST_X'})");
    assertThat(r.arg(1).tojstring()).isEqualTo("v1");
    assertThat(r.arg(2).tojstring()).isEqualTo("v1");
    assertThat(System.getenv("DROVER_TEST_X")).isNull();
    assertThat(call("return env.get('NOPE_NOT_SET', 'dflt')").arg1().tojstring()).isEqualTo("dflt");
  }

  @Test
  void jsonRoundTrips() throws Exception {
    Varargs r = call("local t = json.decode('{\"a\":[1,2,{\"b\":true}]}'); return t.a[3].b, json.encode({ x = 1 })");
    assertThat(r.arg(1).toboolean()).isTrue();
    assertThat(r.arg(2).tojstring()).isEqualTo("{\"x\":1}");
  }

  @Test
  void eachTaskCallGetsItsOwnGlobals() throws Exception {
    Files.createDirectories(dir.resolve("work"));
    LuaInterpreter in = new LuaInterpreter(new WorkflowSource("flow.lua", """
        Shared = 'file'
        Set = function() Leak = 'set'; Shared = 'changed'; return Leak end
        Get = function() return Leak, Shared end"""));
    assertThat(in.call((LuaFunction) in.global("Set"), scope(), LuaValue.NONE).arg1().tojstring()).isEqualTo("set");
    Varargs r = in.call((LuaFunction) in.global("Get"), scope(), LuaValue.NONE);
    assertThat(r.arg(1).isnil()).isTrue();
    assertThat(r.arg(2).tojstring()).isEqualTo("file");
  }

  @Test
  void logAndPrintGoToTheTaskLog() throws Exception {
    call("log.warn('careful', 42); print('plain')");
    assertThat(log).containsExactly("[warn] careful 42", "plain");
  }

  @Test
  void modulesThatNeedATaskSayWhenUsedAtLoadTime() {
    assertThatThrownBy(() -> new LuaInterpreter(new WorkflowSource("flow.lua", "\nfs.write('x', 'y')")))
        .isInstanceOf(WorkflowException.class)
        .hasMessage("flow.lua:2: fs.write can only be used inside a task's function, not while the file loads");
  }
}
