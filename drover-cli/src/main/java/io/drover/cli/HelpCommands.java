package io.drover.cli;

import io.drover.core.Suggestions;
import io.drover.core.Version;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Help about the command model itself: {@code -h/--help} on every command, {@code drover help} for a command at any
 * depth, and shell completion and man pages generated from the same model, so they cannot drift from it.
 */
final class HelpCommands {
    private HelpCommands() {}

    /** Gives every command below {@code root} a {@code -h, --help} option (picocli adds it to the root only). */
    static void helpEverywhere(CommandLine root) {
        for (CommandLine sub : root.getSubcommands().values()) {
            CommandSpec s = sub.getCommandSpec();
            if (s.findOption("--help") == null && !s.helpCommand()) {
                s.addOption(OptionSpec.builder("-h", "--help")
                        .usageHelp(true)
                        .description("Show this help and exit.")
                        .build());
            }
            helpEverywhere(sub);
        }
    }

    /** The command that {@code names} lead to from {@code root}, or invalid input naming the first that is unknown. */
    static CommandLine find(CommandLine root, List<String> names) {
        CommandLine c = root;
        for (String n : names) {
            CommandLine sub = c.getSubcommands().get(n);
            if (sub == null) {
                String where = c.getCommandSpec().qualifiedName();
                throw new Main.UserException("'" + where + "' has no command '" + Terminal.escape(n) + "'"
                        + Suggestions.didYouMean(n, c.getSubcommands().keySet()) + " (see '" + where + " --help')");
            }
            c = sub;
        }
        return c;
    }

    /** Every command of the tree, the root first, parents before their children. */
    static List<CommandLine> all(CommandLine root) {
        List<CommandLine> out = new ArrayList<>();
        out.add(root);
        for (CommandLine sub : new LinkedHashSet<>(root.getSubcommands().values())) {
            if (!sub.getCommandSpec().helpCommand()
                    && !sub.getCommandSpec().usageMessage().hidden()) out.addAll(all(sub));
        }
        return out;
    }

    @Command(
            name = "help",
            helpCommand = true,
            description = "Show the help of a command at any depth: drover help task submit.")
    static final class Help implements CommandLine.IHelpCommandInitializable2, Runnable {
        @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "The command, e.g. task submit.")
        List<String> names = new ArrayList<>();

        @Option(
                names = {"-h", "--help"},
                usageHelp = true,
                description = "Show this help and exit.")
        boolean help;

        private CommandLine self;
        private CommandLine.Help.ColorScheme colors;
        private PrintWriter out;

        @Override
        public void init(
                CommandLine helpCommandLine,
                CommandLine.Help.ColorScheme colorScheme,
                PrintWriter out,
                PrintWriter err) {
            this.self = helpCommandLine;
            this.colors = colorScheme;
            this.out = out;
        }

        @Override
        public void run() {
            find(self.getParent(), names).usage(out, colors);
        }
    }

    @Command(
            name = "completion",
            description = "Print a shell completion script: source <(drover completion bash), or zsh.")
    static final class Completion implements Callable<Integer> {
        @Parameters(paramLabel = "SHELL", description = "bash or zsh.")
        String shell;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (!shell.equals("bash") && !shell.equals("zsh")) {
                throw new Main.UserException("completion is for bash or zsh, not '" + Terminal.escape(shell) + "'");
            }
            CommandLine root = Main.commandLine();
            String script = AutoComplete.bash(root.getCommandName(), root);
            PrintWriter out = spec.commandLine().getOut();
            // the script defines its functions for bash; zsh runs it through bashcompinit
            if (shell.equals("zsh"))
                out.println("autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit");
            out.print(script);
            out.flush();
            return Main.OK;
        }
    }

    @Command(
            name = "man",
            description =
                    "Print a command's man page (roff): drover man task submit | man -l -; or write them all with --dir.")
    static final class Man implements Callable<Integer> {
        @Parameters(
                paramLabel = "COMMAND",
                arity = "0..*",
                description = "The command, e.g. task submit; none: drover itself.")
        List<String> names = new ArrayList<>();

        @Option(
                names = "--dir",
                paramLabel = "DIR",
                description = "Write a page per command into DIR (drover.1, drover-task-submit.1, ...).")
        Path dir;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            CommandLine root = Main.commandLine();
            if (dir == null) {
                PrintWriter out = spec.commandLine().getOut();
                out.print(page(find(root, names)));
                out.flush();
                return Main.OK;
            }
            Files.createDirectories(dir);
            for (CommandLine c : all(root)) {
                Path f = dir.resolve(pageName(c.getCommandSpec()) + ".1");
                Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
                Files.writeString(tmp, page(c));
                Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            spec.commandLine().getErr().println("drover man: wrote " + all(root).size() + " pages to " + dir);
            return Main.OK;
        }
    }

    private static String pageName(CommandSpec s) {
        return s.qualifiedName("-");
    }

    /** A man page in roff, from the command's description, synopsis, options and subcommands. */
    static String page(CommandLine c) {
        CommandSpec s = c.getCommandSpec();
        String[] description = s.usageMessage().description();
        StringBuilder b = new StringBuilder();
        b.append(".TH ")
                .append(pageName(s).toUpperCase(Locale.ROOT))
                .append(" 1 \"\" \"drover ")
                .append(Version.current())
                .append("\" \"Drover Manual\"\n");
        b.append(".SH NAME\n")
                .append(roff(pageName(s)))
                .append(" \\- ")
                .append(roff(description.length == 0 ? "" : description[0]))
                .append('\n');
        b.append(".SH SYNOPSIS\n.nf\n")
                .append(roff(new CommandLine.Help(s, CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF))
                        .synopsis(0)
                        .strip()))
                .append("\n.fi\n");
        if (description.length > 0) {
            b.append(".SH DESCRIPTION\n");
            for (String line : description) b.append(roff(line.strip())).append("\n.br\n");
        }
        List<PositionalParamSpec> params = s.positionalParameters();
        if (!params.isEmpty()) {
            b.append(".SH ARGUMENTS\n");
            for (PositionalParamSpec p : params) {
                b.append(".TP\n\\fI")
                        .append(roff(p.paramLabel()))
                        .append("\\fR\n")
                        .append(roff(String.join(" ", p.description())))
                        .append('\n');
            }
        }
        if (!s.options().isEmpty()) {
            b.append(".SH OPTIONS\n");
            for (OptionSpec o : s.options()) {
                if (o.hidden()) continue;
                b.append(".TP\n");
                List<String> names = new ArrayList<>();
                for (String n : o.names()) names.add("\\fB" + roff(n) + "\\fR");
                b.append(String.join(", ", names));
                if (o.arity().max() > 0)
                    b.append("=\\fI").append(roff(o.paramLabel())).append("\\fR");
                b.append('\n').append(roff(String.join(" ", o.description()))).append('\n');
            }
        }
        var subs = new LinkedHashMap<String, CommandLine>();
        c.getSubcommands().forEach((n, sub) -> {
            if (n.equals(sub.getCommandName())) subs.put(n, sub);
        });
        if (!subs.isEmpty()) {
            b.append(".SH COMMANDS\n");
            subs.forEach((n, sub) -> {
                String[] d = sub.getCommandSpec().usageMessage().description();
                b.append(".TP\n\\fB")
                        .append(roff(n))
                        .append("\\fR\n")
                        .append(roff(d.length == 0 ? "" : d[0]))
                        .append('\n');
            });
        }
        if (s.parent() != null)
            b.append(".SH SEE ALSO\n").append(roff(pageName(s.parent()))).append("(1)\n");
        return b.toString();
    }

    /** Text made safe for roff: backslashes and dashes escaped, no line starting a request. */
    private static String roff(String text) {
        String t = text.replace("\\", "\\e").replace("-", "\\-");
        StringBuilder b = new StringBuilder();
        for (String line : t.split("\n", -1)) {
            if (b.length() > 0) b.append('\n');
            if (line.startsWith(".") || line.startsWith("'")) b.append("\\&");
            b.append(line);
        }
        return b.toString();
    }
}
