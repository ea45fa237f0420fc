package io.drover.cli;

import io.drover.core.Version;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code drover} command. Exit codes: 0 success, 1 a task failed, 2 invalid input, 130 interrupted. */
@Command(
    name = "drover",
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    description = "Runs Lua workflows of shell commands and Lua functions: on this machine, on agents, or on a fleet.",
    subcommands = {RunCommand.class, ValidateCommand.class, PlanCommand.class, RunsCommand.class, AgentCommand.class, AgentsCommand.class, DoctorCommand.class,
        WorkerCommand.class, TaskCommand.class, ControllerCommand.class, SubmitCommand.class, NodeCommand.class,
        HelpCommands.Completion.class, HelpCommands.Man.class, TrainingCommand.class, HelpCommands.Help.class})
public final class Main implements java.util.concurrent.Callable<Integer> {
  public static final int OK = 0;
  public static final int TASK_FAILED = 1;
  public static final int INVALID_INPUT = 2;
  public static final int INTERRUPTED = 130;

  @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Show stack traces of errors.")
  boolean verbose;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  /** {@code drover} alone: the usage, on stderr, and exit 2 (no command is invalid input). */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return INVALID_INPUT;
  }

  public static void main(String[] args) {
    System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line and returns the exit code; output goes to the given writers. */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    Main main = new Main();
    CommandLine cl = new CommandLine(main);
    HelpCommands.helpEverywhere(cl);
    cl.setOut(out);
    cl.setErr(err);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setParameterExceptionHandler((ex, a) -> {
      String hint = "";
      if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
        hint = "; did you mean '" + u.getSuggestions().get(0) + "'?";
      }
      err.println("drover: " + Terminal.escape(ex.getMessage() + hint));
      CommandLine c = ex.getCommandLine();
      err.println("Try '" + c.getCommandSpec().qualifiedName() + " --help'.");
      return INVALID_INPUT;
    });
    cl.setExecutionExceptionHandler((ex, c, parsed) -> {
      boolean verbose = args != null && java.util.Arrays.asList(args).contains("--verbose");
      String said = io.drover.core.Errors.describe(ex);
      if (ex instanceof io.lettuce.core.RedisCommandExecutionException) said = "Redis refused a command: " + said;
      err.println("drover: " + Terminal.escape(said));
      if (verbose) ex.printStackTrace(err);
      if (ex instanceof io.drover.core.InvalidInputException) return INVALID_INPUT;
      // Drover's own errors say their cause; anything else is a fault whose trace helps
      if (!verbose && !(ex instanceof io.drover.core.DroverException || ex instanceof io.lettuce.core.RedisCommandExecutionException)) err.println("(run with --verbose for details)");
      return TASK_FAILED;
    });
    int code = cl.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  /** Invalid input that is not in a workflow file: a bad flag value, an unknown run id. Exit code 2. */
  static final class UserException extends io.drover.core.InvalidInputException {
    UserException(String message) {
      super(message);
    }
  }

  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"drover " + Version.current() + " (Java " + Runtime.version() + ")"};
    }
  }
}
