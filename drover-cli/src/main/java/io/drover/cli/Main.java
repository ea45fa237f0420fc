package io.drover.cli;

import io.drover.core.DroverException;
import io.drover.core.Errors;
import io.drover.core.InvalidInputException;
import io.drover.core.Suggestions;
import io.drover.core.Version;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code drover} command. Exit codes: 0 success, 1 a task failed, 2 invalid input, 130 interrupted. */
@Command(
        name = "drover",
        mixinStandardHelpOptions = true,
        versionProvider = Main.VersionProvider.class,
        description =
                "Runs Lua workflows of shell commands and Lua functions: on this machine, on agents, or on a fleet.")
public final class Main implements Callable<Integer> {
    /** The commands, in the order {@code drover --help} lists them. */
    private static final List<Class<?>> COMMANDS = List.of(
            RunCommand.class,
            ValidateCommand.class,
            PlanCommand.class,
            RunsCommand.class,
            AgentCommand.class,
            AgentsCommand.class,
            DoctorCommand.class,
            WorkerCommand.class,
            TaskCommand.class,
            QueueCommand.class,
            ControllerCommand.class,
            SubmitCommand.class,
            NodeCommand.class,
            StateCommand.class,
            HelpCommands.Completion.class,
            HelpCommands.Man.class,
            TrainingCommand.class,
            HelpCommands.Help.class);

    public static final int OK = 0;
    public static final int TASK_FAILED = 1;
    public static final int INVALID_INPUT = 2;
    public static final int INTERRUPTED = 130;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Show stack traces of errors.")
    boolean verbose;

    @picocli.CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** {@code drover} alone: the usage, on stderr, and exit 2 (no command is invalid input). */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return INVALID_INPUT;
    }

    public static void main(String[] args) {
        // Lettuce and Netty log through java.util.logging, whose default record takes two lines (time and class, then
        // the message): one line per event, as the worker's and controller's own lines are, unless the user set one
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tLZ %4$s %3$s: %5$s%6$s%n");
        }
        System.exit(execute(
                args,
                new PrintWriter(System.out, true, java.nio.charset.Charset.defaultCharset()),
                new PrintWriter(System.err, true, java.nio.charset.Charset.defaultCharset())));
    }

    /** The whole command model: every command, each with -h/--help. */
    static CommandLine commandLine() {
        return commandLine(COMMANDS);
    }

    private static CommandLine commandLine(List<Class<?>> commands) {
        CommandLine cl = new CommandLine(new Main());
        for (Class<?> c : commands) cl.addSubcommand(c);
        HelpCommands.helpEverywhere(cl);
        return cl;
    }

    /**
     * The commands a command line needs: the one it names, none for {@code --version}, all otherwise (the usage
     * lists them, a typo gets a suggestion from them). Building picocli's model of a command costs reflection over
     * its classes, so a short command does not pay for the other fifteen.
     */
    private static List<Class<?>> needed(String[] args) {
        String named = null;
        boolean version = false;
        for (String a : args) {
            if (a.equals("--version") || a.equals("-V")) version = true;
            if (!a.startsWith("-")) {
                named = a;
                break;
            }
        }
        if (named == null) return version ? List.of() : COMMANDS;
        for (Class<?> c : COMMANDS) {
            if (!c.equals(HelpCommands.Help.class)
                    && named.equals(c.getAnnotation(Command.class).name())) return List.of(c);
        }
        return COMMANDS;
    }

    /** Runs the command line and returns the exit code; output goes to the given writers. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = commandLine(needed(args));
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, a) -> {
            String hint = "";
            if (ex instanceof CommandLine.UnmatchedArgumentException u
                    && !u.getUnmatched().isEmpty()) {
                String first = u.getUnmatched().get(0);
                var subs = ex.getCommandLine().getSubcommands().keySet();
                if (!first.startsWith("-") && !subs.isEmpty()) hint = Suggestions.didYouMean(first, subs);
                else if (!u.getSuggestions().isEmpty())
                    hint = "; did you mean '" + u.getSuggestions().get(0) + "'?";
            }
            err.println("drover: " + Terminal.escape(ex.getMessage() + hint));
            CommandLine c = ex.getCommandLine();
            err.println("Try '" + c.getCommandSpec().qualifiedName() + " --help'.");
            return INVALID_INPUT;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            boolean verbose = args != null && Arrays.asList(args).contains("--verbose");
            String said = Errors.describe(ex);
            err.println("drover: " + Terminal.escape(said));
            if (verbose) ex.printStackTrace(err);
            if (ex instanceof InvalidInputException) return INVALID_INPUT;
            // Drover's own errors say their cause; anything else is a fault whose trace helps
            if (!verbose && !(ex instanceof DroverException)) err.println("(run with --verbose for details)");
            return TASK_FAILED;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** Invalid input that is not in a workflow file: a bad flag value, an unknown run id. Exit code 2. */
    static final class UserException extends InvalidInputException {
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
